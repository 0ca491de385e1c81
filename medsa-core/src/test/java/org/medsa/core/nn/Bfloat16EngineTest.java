package org.medsa.core.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bfloat16 arrays through DJL 0.29: the engine's cast through {@link Precision#cast} equals the
 * bit-exact rounding of {@link Precision#roundToBfloat16} (itself checked against PyTorch), a
 * bfloat16 matmul equals the float32 product of the rounded operands to float32 accumulation, the
 * cast passes gradients, and DJL's own {@code toType(BFLOAT16)} still aborts the JVM: a child JVM
 * shows it, so a DJL upgrade that fixes it fails this test and tells us to drop the detour.
 */
class Bfloat16EngineTest {

    @TempDir
    Path tmp;

    @Test
    void castsLikeTheRoundingAndMultiplies() {
        Random r = new Random(5);
        float[] v = new float[64 * 48];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(9) - 4));
        }
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(v, new Shape(64, 48));
            NDArray b = Precision.cast(x, DataType.BFLOAT16);
            assertTrue(Precision.isBfloat16(b) && Precision.isHalf(b), "a bfloat16 array, DJL type " + b.getDataType());
            assertEquals(x.getManager(), b.getManager());
            float[] back = b.toType(DataType.FLOAT32, false).toFloatArray();
            float[] rounded = Precision.roundToBfloat16(x).toFloatArray();
            for (int i = 0; i < v.length; i++) {
                assertEquals(Float.floatToRawIntBits(rounded[i]), Float.floatToRawIntBits(back[i]), "bfloat16 of " + v[i]);
            }
            // a product in bfloat16: the rounded operands' float32 product, rounded to bfloat16
            NDArray w = m.randomNormal(new Shape(48, 32));
            NDArray prod = Precision.cast(Precision.cast(x, DataType.BFLOAT16).matMul(Precision.cast(w, DataType.BFLOAT16)),
                    DataType.FLOAT32);
            NDArray reference = Precision.roundToBfloat16(x).matMul(Precision.roundToBfloat16(w));
            float[] p = prod.toFloatArray();
            float[] q = reference.toFloatArray();
            for (int i = 0; i < p.length; i++) {
                assertEquals(q[i], p[i], Math.abs(q[i]) * 0x1p-7 + 1e-6, "product element " + i);
            }
        }
    }

    @Test
    void theCastPassesGradients() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(new float[] {1.00390625f, -2.5f, 3.3f}, new Shape(3));
            x.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray y = Precision.cast(Precision.cast(x, DataType.BFLOAT16).mul(2), DataType.FLOAT32);
                gc.backward(y.mul(m.create(new float[] {1, 2, 3})).sum());
            }
            assertEquals(List.of(2f, 4f, 6f), List.of(x.getGradient().toFloatArray()[0], x.getGradient().toFloatArray()[1],
                    x.getGradient().toFloatArray()[2]));
        }
    }

    @Test
    void djlsOwnCastStillAbortsTheJvm() throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"), DjlCast.class.getName()));
        Path log = tmp.resolve("child.log");
        Process child = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(child.waitFor(120, TimeUnit.SECONDS), "the child JVM did not finish");
        String out = Files.readString(log);
        assertTrue(out.contains("casting"), "the child did not reach the cast: " + out);
        assertNotEquals(0, child.exitValue(), "toType(BFLOAT16) returned normally: DJL now maps bfloat16, so the "
                + "TorchScript cast in ScriptCasts can go (child output: " + out + ")");
        assertTrue(!out.contains("returned"), out);
    }

    /** The child: DJL's own cast to bfloat16. */
    public static final class DjlCast {
        public static void main(String[] args) {
            try (NDManager m = NDManager.newBaseManager()) {
                NDArray x = m.create(new float[] {1, 2, 3});
                System.out.println("casting");
                System.out.flush();
                NDArray y = x.toType(DataType.BFLOAT16, false);
                System.out.println("returned " + y.getDataType());
            }
        }
    }
}
