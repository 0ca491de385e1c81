package org.medsa.adapters;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.medsa.core.MedsaException;
import org.medsa.core.io.Hashes;
import org.medsa.core.io.StateDictLoader;
import org.medsa.core.io.pth.TensorData;
import org.medsa.core.io.pth.TorchCheckpoint;
import org.medsa.core.io.pth.TorchCheckpointWriter;
import org.medsa.core.io.pth.TorchDType;
import org.medsa.core.io.pth.TorchTensor;
import org.medsa.core.modeling.SamConfig;

/**
 * Loading base checkpoints into a {@link MedsaModel}, and saving/loading adapter files.
 *
 * <p>An adapter file is a PyTorch zip checkpoint (readable by {@code torch.load}) holding only the
 * trainable parameters plus metadata: {@code format} "medsa-adapters", {@code format_version},
 * {@code preset}, {@code volumetric}, {@code medsa_config} (JSON: every adapter setting, so the
 * file alone rebuilds the model), {@code model_config} (JSON, including the {@code input_profile}
 * the adapters were trained on), {@code base_checkpoint} (file name, size, SHA-256), {@code
 * step}, and {@code state_dict}. Files of SAM 2 models ({@link MedsaSam2Model}) also say {@code
 * family} "sam2", {@code input_profile} and {@code train_memory} (their state dict then holds the
 * memory attention and memory encoder too); files without {@code family} are SAM's.
 */
public final class MedsaCheckpoints {

    /** The {@code format} value of an adapter file. */
    public static final String FORMAT = "medsa-adapters";
    /** The {@code format_version} this library writes. */
    public static final long FORMAT_VERSION = 1;


    private MedsaCheckpoints() {}

    /** What a base load found. */
    public record BaseLoad(int loaded, boolean containedAdapters, int adaptersMissing) {}

    /**
     * Loads SAM weights (an official SAM or MedSAM file, or an official Med-SA training checkpoint
     * with everything in it) into {@code model}. Names of the other layouts are mapped
     * (rel_pos_h ↔ rel_h, mlp.lin1/lin2 ↔ mlp.layers.0.0/fc), so SAM's tables and decoder MLPs are
     * really loaded (the official loader drops them silently). Adapters absent from the file keep
     * their initial values; everything else must match.
     */
    public static BaseLoad loadBase(MedsaModel model, Path file, NDManager manager) {
        try (TorchCheckpoint ckpt = TorchCheckpoint.open(file)) {
            Map<String, TorchTensor> sd = ckpt.stateDict();
            if (sd.containsKey("format") || FORMAT.equals(topLevel(ckpt, "format"))) {
                throw new MedsaException(file + ": this is an adapter file; pass it with --adapter-weights and give"
                        + " the base SAM checkpoint with --checkpoint");
            }
            Set<String> expected = model.stateDictParameters().keySet();
            Function<String, String> rename = k -> expected.contains(k) ? k : renameFor(k, expected);
            StateDictLoader.Report r = StateDictLoader.load(model, ckpt, sd, manager,
                    new StateDictLoader.Options().rename(rename).mayBeMissing(MedsaModel::isAdapter));
            boolean hadAdapters = sd.keySet().stream().anyMatch(MedsaModel::isAdapter);
            int missingAdapters = (int) r.missing().stream().filter(MedsaModel::isAdapter).count();
            model.initialize(manager, DataType.FLOAT32);
            model.freeze();
            return new BaseLoad(r.loaded(), hadAdapters, missingAdapters);
        } finally {
            TorchCheckpoint.releaseStagingMemory();
        }
    }

    private static Object topLevel(TorchCheckpoint c, String key) {
        return c.root() instanceof Map<?, ?> m ? m.get(key) : null;
    }

    /** Maps a key of another layout to this model's name for it, if there is one. */
    static String renameFor(String k, Set<String> expected) {
        String[][] pairs = {
            {".attn.rel_pos_h", ".attn.rel_h"}, {".attn.rel_pos_w", ".attn.rel_w"},
            {".mlp.lin1.", ".mlp.layers.0.0."}, {".mlp.lin2.", ".mlp.fc."},
        };
        for (String[] p : pairs) {
            for (int dir = 0; dir < 2; dir++) {
                String from = p[dir];
                String to = p[1 - dir];
                if (k.contains(from)) {
                    String r = k.replace(from, to);
                    if (expected.contains(r)) {
                        return r;
                    }
                }
            }
        }
        return k;
    }

    /** Saves the trainable parameters of {@code model} with their metadata, atomically. */
    public static void saveAdapters(AdaptedModel model, Path file, Path baseCheckpoint, long step) throws IOException {
        saveAdapters(model, file, baseCheckpoint, step, Map.of());
    }

    /** As above, with extra top-level entries (a trainer's optimiser state, a validation score). */
    public static void saveAdapters(AdaptedModel model, Path file, Path baseCheckpoint, long step, Map<String, Object> extra)
            throws IOException {
        TorchCheckpointWriter.OrderedMap sd = new TorchCheckpointWriter.OrderedMap();
        for (Map.Entry<String, Parameter> e : model.trainableParameters().entrySet()) {
            Parameter p = e.getValue();
            sd.put(e.getKey(), new TorchCheckpointWriter.LazyTensor(
                    TorchDType.FLOAT32, p.getArray().getShape().getShape(),
                    () -> TensorData.of(p.getArray().toType(DataType.FLOAT32, false))));
        }
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("format", FORMAT);
        root.put("format_version", FORMAT_VERSION);
        root.put("preset", model.medsaConfig().preset().id());
        root.put("volumetric", model.medsaConfig().volumetric());
        root.put("medsa_config", model.medsaConfig().toJson().toString());
        root.put("model_config", model.configJson().toString());
        if (model instanceof MedsaSam2Model sam2) {
            root.put("family", model.family());
            root.put("input_profile", model.inputProfileId());
            root.put("train_memory", sam2.trainsMemory());
        }
        Map<String, Object> base = new LinkedHashMap<>();
        if (baseCheckpoint != null) {
            base.put("file", baseCheckpoint.getFileName().toString());
            base.put("size", Files.size(baseCheckpoint));
            base.put("sha256", Hashes.sha256(baseCheckpoint));
        }
        root.put("base_checkpoint", base);
        root.put("step", step);
        root.put("state_dict", sd);
        extra.forEach((k, v) -> {
            if (root.containsKey(k)) {
                throw new MedsaException("extra entry '" + k + "' would replace a standard one");
            }
            root.put(k, v);
        });
        TorchCheckpointWriter.write(file, root);
    }

    /**
     * Loads an adapter file onto a model that already holds its base weights. Refuses a file
     * made for another base checkpoint (by SHA-256) unless {@code allowBaseMismatch}, and a file of
     * another preset or model config.
     *
     * @return the training step recorded in the file
     */
    public static long loadAdapters(AdaptedModel model, Path file, Path baseCheckpoint, NDManager manager,
            boolean allowBaseMismatch) {
        try (TorchCheckpoint ckpt = TorchCheckpoint.open(file)) {
            if (!(ckpt.root() instanceof Map<?, ?> root) || !FORMAT.equals(root.get("format"))) {
                throw new MedsaException(file + ": not a Med-SA adapter file (no format '" + FORMAT + "'); an official"
                        + " Med-SA checkpoint goes in --checkpoint with --adapters official-code");
            }
            String family = root.get("family") instanceof String f ? f : "sam";
            if (!family.equals(model.family())) {
                throw new MedsaException(file + ": adapters of a " + (family.equals("sam2") ? "SAM 2" : "SAM") + " model cannot"
                        + " load into a " + (model.family().equals("sam2") ? "SAM 2" : "SAM") + " model");
            }
            if (model instanceof MedsaSam2Model sam2 && root.get("train_memory") instanceof Boolean tm
                    && tm != sam2.trainsMemory()) {
                throw new MedsaException(file + ": adapters trained " + (tm ? "with" : "without") + " the memory modules;"
                        + " build the model " + (tm ? "with" : "without") + " --train-memory");
            }
            String preset = String.valueOf(root.get("preset"));
            if (!preset.equals(model.medsaConfig().preset().id())) {
                throw new MedsaException(file + ": adapters of preset '" + preset + "' cannot load into a '"
                        + model.medsaConfig().preset().id() + "' model (use --adapters " + preset + ")");
            }
            Object cfgJson = root.get("model_config");
            if (model instanceof MedsaSam2Model && cfgJson instanceof String s
                    && !JsonParser.parseString(s).equals(model.configJson())) {
                throw new MedsaException(file + ": adapters were trained for another SAM 2 config; give the config they were"
                        + " trained with");
            }
            if (model instanceof MedsaModel sam1 && cfgJson instanceof String s) {
                SamConfig saved = SamConfig.fromJson(JsonParser.parseString(s), file + " (model_config)");
                if (saved.inputProfile() != sam1.config().inputProfile()) {
                    throw new MedsaException(file + ": these adapters were trained on input profile '" + saved.inputProfile()
                            + "', but the model is set to '" + sam1.config().inputProfile() + "'; they only work on the"
                            + " geometry they were trained on (drop the input profile override)");
                }
                if (!saved.toJson().equals(sam1.config().toJson())) {
                    throw new MedsaException(file + ": adapters were trained for another model config ("
                            + describe(saved) + "), this model is " + describe(sam1.config()));
                }
            }
            if (root.get("medsa_config") instanceof String s) {
                MedsaConfig saved = MedsaConfig.fromJson(s, file + " (medsa_config)");
                if (!saved.toJson().equals(model.medsaConfig().toJson())) {
                    throw new MedsaException(file + ": adapters were built as " + saved.describe() + ", this model has "
                            + model.medsaConfig().describe());
                }
            }
            if (baseCheckpoint != null && root.get("base_checkpoint") instanceof Map<?, ?> base && base.get("sha256") != null) {
                String want = String.valueOf(base.get("sha256"));
                String have = Hashes.sha256(baseCheckpoint);
                if (!want.equals(have) && !allowBaseMismatch) {
                    throw new MedsaException(file + ": these adapters were trained on base checkpoint " + base.get("file")
                            + " (SHA-256 " + want.substring(0, 12) + "…), but " + baseCheckpoint.getFileName() + " has SHA-256 "
                            + have.substring(0, 12) + "…; give the right base checkpoint");
                }
            }
            Map<String, TorchTensor> sd = ckpt.stateDict();
            Set<String> trainable = model.trainableParameters().keySet();
            StateDictLoader.load(model.block(), ckpt, sd, manager, new StateDictLoader.Options()
                    .mayBeMissing(k -> !trainable.contains(k)));
            Object step = root.get("step");
            return step instanceof Number n ? n.longValue() : 0;
        } finally {
            TorchCheckpoint.releaseStagingMemory();
        }
    }

    /** What an adapter file says about itself (its metadata, without the weights). */
    public record AdapterFileInfo(String preset, boolean volumetric, MedsaConfig medsaConfig, SamConfig modelConfig, long step,
            String family, boolean trainMemory) {}

    /**
     * Reads an adapter file's metadata: preset, adapter settings ({@code medsaConfig} is null for
     * files written before they were recorded; rebuild those from the preset), model config and
     * step.
     *
     * @throws MedsaException if the file is not an adapter file
     */
    public static AdapterFileInfo readInfo(Path file) {
        try (TorchCheckpoint ckpt = TorchCheckpoint.open(file)) {
            if (!(ckpt.root() instanceof Map<?, ?> root) || !FORMAT.equals(root.get("format"))) {
                throw new MedsaException(file + ": not a Med-SA adapter file (no format '" + FORMAT + "')");
            }
            String preset = String.valueOf(root.get("preset"));
            MedsaConfig.Preset.parse(preset);
            boolean volumetric = Boolean.TRUE.equals(root.get("volumetric"));
            MedsaConfig mc = root.get("medsa_config") instanceof String s ? MedsaConfig.fromJson(s, file + " (medsa_config)")
                    : null;
            String family = root.get("family") instanceof String f ? f : "sam";
            SamConfig sc = family.equals("sam") && root.get("model_config") instanceof String s
                    ? SamConfig.fromJson(JsonParser.parseString(s), file + " (model_config)") : null;
            long step = root.get("step") instanceof Number n ? n.longValue() : 0;
            return new AdapterFileInfo(preset, volumetric, mc, sc, step, family, Boolean.TRUE.equals(root.get("train_memory")));
        }
    }

    private static String describe(SamConfig c) {
        return "embed_dim " + c.imageEncoder.embedDim + ", depth " + c.imageEncoder.depth + ", img_size "
                + c.imageEncoder.imgSize;
    }
}
