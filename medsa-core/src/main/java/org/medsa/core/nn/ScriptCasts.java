package org.medsa.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.medsa.core.MedsaException;
import org.medsa.core.io.pth.TorchScriptArchive;

/**
 * Operations the engine's Java API cannot express for bfloat16, as TorchScript modules this class
 * writes and loads itself ({@link TorchScriptArchive}): DJL 0.29 maps no bfloat16 type to the
 * engine, so {@code toType(BFLOAT16)} (and every op DJL gives an array's type, e.g. softmax) aborts
 * the JVM, while tensors that are already bfloat16 work in the engine's other ops. One module per
 * operation, loaded once per JVM; a module holds no tensors, so it serves every device. The
 * operations are differentiable while gradients are recorded.
 */
final class ScriptCasts {

    /** c10's ScalarType codes. */
    static final int FLOAT32 = 6;
    static final int BFLOAT16 = 15;

    private static final Map<String, PtSymbolBlock> MODULES = new ConcurrentHashMap<>();
    private static final NDManager OWNER = NDManager.newBaseManager();

    private ScriptCasts() {}

    /** x cast to the c10 scalar type {@code scalarType}, attached to x's manager. */
    static NDArray to(NDArray x, int scalarType) {
        return run("Cast" + scalarType, "torch.to(x, " + scalarType + ")", x);
    }

    /**
     * Softmax over the last axis in x's own type: for bfloat16, PyTorch's CPU and GPU kernels
     * accumulate the maximum and the sum in float32, so no float32 copy of the scores is needed
     * (DJL's softmax passes the array's type to the engine and aborts on bfloat16).
     */
    static NDArray softmaxLastAxis(NDArray x) {
        return run("SoftmaxLast", "torch.softmax(x, -1)", x);
    }

    private static NDArray run(String name, String expression, NDArray x) {
        PtSymbolBlock module = MODULES.computeIfAbsent(name, n -> load(n, expression));
        boolean grad = JniUtils.isGradMode();
        NDArray out;
        synchronized (module) { // the module's train/eval switch is shared state
            out = module.forward(new ParameterStore(x.getManager(), false), new NDList(x), grad).singletonOrThrow();
        }
        if (out.getManager() != x.getManager()) {
            out.attach(x.getManager());
        }
        return out;
    }

    private static PtSymbolBlock load(String name, String expression) {
        String source = String.format(Locale.ROOT, "class %s(Module):%n  __parameters__ = []%n  __buffers__ = []%n"
                + "  training : bool%n  def forward(self: __torch__.%s,%n    x: Tensor) -> Tensor:%n"
                + "    return %s%n", name, name, expression).replace("\r", "");
        Path dir = null;
        try {
            dir = Files.createTempDirectory("medsa-cast");
            Path file = dir.resolve(name.toLowerCase(Locale.ROOT) + ".pt");
            TorchScriptArchive.write(file, name, source);
            return JniUtils.loadModule((PtNDManager) OWNER, file, true, new String[0], new String[0], false);
        } catch (IOException e) {
            throw new MedsaException("cannot write the engine's cast module to the temporary folder (" + e.getMessage() + ")",
                    e);
        } finally {
            if (dir != null) {
                try (var files = Files.list(dir)) {
                    for (Path f : (Iterable<Path>) files::iterator) {
                        Files.deleteIfExists(f);
                    }
                    Files.deleteIfExists(dir);
                } catch (IOException ignored) {
                    // a leftover temporary file is harmless
                }
            }
        }
    }
}
