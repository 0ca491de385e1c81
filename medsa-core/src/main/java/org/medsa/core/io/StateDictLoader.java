package org.medsa.core.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Predicate;
import org.medsa.core.MedsaException;
import org.medsa.core.io.pth.TensorData;
import org.medsa.core.io.pth.TorchCheckpoint;
import org.medsa.core.io.pth.TorchTensor;
import org.medsa.core.nn.Ops;
import org.medsa.core.nn.TorchBlock;

/**
 * Fills a model's parameters from a PyTorch state dict, strictly: every parameter the model
 * expects must be in the file, every tensor in the file must be used, and shapes must agree.
 * All problems are collected and reported together, by name, before anything is loaded; the
 * caller may allow missing or unexpected keys explicitly. Tensors are read and converted one at
 * a time.
 */
public final class StateDictLoader {

    /** What to accept and how to rename keys. */
    public static final class Options {
        Function<String, String> rename = Function.identity();
        Predicate<String> mayBeMissing = k -> false;
        Predicate<String> ignoreUnexpected = k -> false;
        boolean allowMissing;
        boolean allowUnexpected;

        /** Maps checkpoint keys to model keys (e.g. a fork's names to SAM's). */
        public Options rename(Function<String, String> f) {
            this.rename = f;
            return this;
        }

        /** Model keys that may be absent from the file (e.g. adapters when loading plain SAM). */
        public Options mayBeMissing(Predicate<String> p) {
            this.mayBeMissing = p;
            return this;
        }

        /** File keys that are expected to be unused (e.g. the base SAM weights in an adapter file). */
        public Options ignoreUnexpected(Predicate<String> p) {
            this.ignoreUnexpected = p;
            return this;
        }

        /** Accept any missing key (they keep their current or random values). */
        public Options allowMissing(boolean allow) {
            this.allowMissing = allow;
            return this;
        }

        /** Accept and skip any key the model does not have. */
        public Options allowUnexpected(boolean allow) {
            this.allowUnexpected = allow;
            return this;
        }
    }

    /** What a load did. */
    public record Report(int loaded, long numbers, List<String> missing, List<String> unexpected) {}

    private StateDictLoader() {}

    /** Opens {@code file} and loads its state dict into {@code model}. */
    public static Report load(TorchBlock model, Path file, NDManager manager, Options options) {
        try (TorchCheckpoint ckpt = TorchCheckpoint.open(file)) {
            return load(model, ckpt, ckpt.stateDict(), manager, options);
        } finally {
            TorchCheckpoint.releaseStagingMemory();
        }
    }

    /**
     * Loads {@code stateDict} (tensors of {@code ckpt}) into {@code model}; arrays are created in
     * {@code manager}, which then owns the weights.
     */
    public static Report load(TorchBlock model, TorchCheckpoint ckpt, Map<String, TorchTensor> stateDict,
            NDManager manager, Options options) {
        Map<String, Parameter> params = model.stateDictParameters();
        Map<String, Shape> shapes = model.stateDictShapes();
        Map<String, TorchTensor> renamed = new LinkedHashMap<>();
        Map<String, String> origin = new LinkedHashMap<>();
        for (Map.Entry<String, TorchTensor> e : stateDict.entrySet()) {
            String key = options.rename.apply(e.getKey());
            if (renamed.put(key, e.getValue()) != null) {
                throw new MedsaException(ckpt.file() + ": two tensors map to the same parameter " + key);
            }
            origin.put(key, e.getKey());
        }
        List<String> missing = new ArrayList<>();
        List<String> allowedMissing = new ArrayList<>();
        for (String k : params.keySet()) {
            if (!renamed.containsKey(k)) {
                (options.mayBeMissing.test(k) ? allowedMissing : missing).add(k);
            }
        }
        List<String> unexpected = new ArrayList<>();
        List<String> ignored = new ArrayList<>();
        List<String> mismatched = new ArrayList<>();
        for (Map.Entry<String, TorchTensor> e : renamed.entrySet()) {
            String k = e.getKey();
            if (!params.containsKey(k)) {
                (options.ignoreUnexpected.test(origin.get(k)) ? ignored : unexpected).add(origin.get(k));
                continue;
            }
            long[] expected = shapes.get(k).getShape();
            long[] got = e.getValue().shape();
            if (!Arrays.equals(expected, got)) {
                mismatched.add(origin.get(k) + " " + Arrays.toString(got) + " vs model " + Arrays.toString(expected));
            }
        }
        List<String> problems = new ArrayList<>();
        if (!missing.isEmpty() && !options.allowMissing) {
            problems.add(missing.size() + " missing " + list(missing));
        }
        if (!unexpected.isEmpty() && !options.allowUnexpected) {
            problems.add(unexpected.size() + " unexpected " + list(unexpected));
        }
        if (!mismatched.isEmpty()) {
            problems.add(mismatched.size() + " with another shape " + list(mismatched));
        }
        if (!problems.isEmpty()) {
            throw new MedsaException(ckpt.file() + ": checkpoint does not match the model config ("
                    + params.size() + " parameters expected, " + stateDict.size() + " tensors in the file): "
                    + String.join("; ", problems));
        }
        int loaded = 0;
        long numbers = 0;
        List<String> nonFinite = new ArrayList<>();
        for (Map.Entry<String, TorchTensor> e : renamed.entrySet()) {
            Parameter p = params.get(e.getKey());
            if (p == null) {
                continue;
            }
            TorchTensor t = e.getValue();
            if (!t.dtype().isFloating()) {
                throw new MedsaException(ckpt.file() + ": parameter " + origin.get(e.getKey()) + " is stored as "
                        + t.dtype().typeName() + ", expected a floating-point tensor");
            }
            if (p.isInitialized()) {
                assign(p, ckpt.read(t), manager);
            } else {
                NDArray a = ckpt.readNDArray(t, manager, DataType.FLOAT32);
                p.setArray(a);
            WEIGHT_WRITES.incrementAndGet();
                WEIGHT_WRITES.incrementAndGet();
                if (p.requiresGradient()) {
                    a.setRequiresGradient(true);
                }
            }
            if (!Ops.isFinite(p.getArray())) {
                nonFinite.add(origin.get(e.getKey()));
            }
            loaded++;
            numbers += t.numel();
        }
        if (!nonFinite.isEmpty()) {
            throw new MedsaException(ckpt.file() + ": " + nonFinite.size() + " weight tensor(s) hold NaN or infinite values "
                    + list(nonFinite) + "; the checkpoint is damaged or came from a diverged training run");
        }
        List<String> notLoaded = new ArrayList<>(missing);
        notLoaded.addAll(allowedMissing);
        List<String> unused = new ArrayList<>(unexpected);
        unused.addAll(ignored);
        return new Report(loaded, numbers, notLoaded, unused);
    }

    /**
     * Sets a parameter's value: the new array becomes the parameter's if it has none yet; else the
     * values are copied into the existing array in place (so optimisers holding it stay valid).
     */
    public static void assign(Parameter p, TensorData data, NDManager manager) {
        DataType target = p.isInitialized() ? p.getArray().getDataType() : DataType.FLOAT32;
        if (!data.dtype().isFloating()) {
            throw new MedsaException("parameter " + p.getName() + " is stored as " + data.dtype().typeName()
                    + ", expected a floating-point tensor");
        }
        if (!p.isInitialized()) {
            NDArray a = data.toNDArray(manager, target);
            p.setArray(a);
            WEIGHT_WRITES.incrementAndGet();
            if (p.requiresGradient()) {
                a.setRequiresGradient(true);
            }
            return;
        }
        NDArray existing = p.getArray();
        try (NDManager scope = existing.getManager().newSubManager()) {
            NDArray a = data.toNDArray(scope, target);
            if (!a.getDevice().equals(existing.getDevice())) {
                a = a.toDevice(existing.getDevice(), false);
            }
            copyInto(existing, a);
        }
    }

    private static final AtomicLong WEIGHT_WRITES = new AtomicLong();

    /**
     * How many times weights were written by a loader in this JVM: values computed from frozen
     * weights and cached (the prompt encoder's dense positional encoding) are recomputed when it
     * changes.
     */
    public static long weightWrites() {
        return WEIGHT_WRITES.get();
    }

    /** In-place copy into a parameter array (autograd forbids it on leaves that need gradients). */
    public static void copyInto(NDArray target, NDArray values) {
        WEIGHT_WRITES.incrementAndGet();
        if (!target.getShape().equals(values.getShape())) {
            throw new MedsaException("shape " + values.getShape() + " does not fit " + target.getShape());
        }
        boolean grad = target.hasGradient();
        if (grad) {
            target.setRequiresGradient(false);
        }
        target.set(new NDIndex("..."), values);
        if (grad) {
            target.setRequiresGradient(true);
        }
    }

    private static String list(List<String> names) {
        int shown = Math.min(names.size(), 12);
        String s = String.join(", ", names.subList(0, shown));
        return "[" + s + (names.size() > shown ? ", … " + (names.size() - shown) + " more" : "") + "]";
    }
}
