package org.medsa.adapters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Adapter training with the frozen encoder in float16 (ImageEncoderViT.halfPrecision): the
 * adapters keep float32 weights, and their gradients point the same way as in float32 (cosine ≥
 * 0.999 per encoder adapter tensor, norms within 2 %), in 2D and with the SD-Trans branch in 3D,
 * with and without activation checkpointing.
 */
class HalfPrecisionTest {

    @Test
    void adapterGradientsMatchFloat32In2d() {
        compare(1, false);
    }

    @Test
    void adapterGradientsMatchFloat32In3dCheckpointed() {
        compare(2, true);
    }

    private static void compare(int depth, boolean checkpoint) {
        Engine.getInstance().setRandomSeed(11);
        try (NDManager m = NDManager.newBaseManager()) {
            MedsaModel model = ActivationCheckpointsTest.tinyModelWithRandomAdapters(depth, m);
            Map<String, float[]> full = ActivationCheckpointsTest.gradients(model, m, depth, checkpoint);
            model.imageEncoder().halfPrecision(true);
            Map<String, float[]> half = ActivationCheckpointsTest.gradients(model, m, depth, checkpoint);
            assertEquals(full.keySet(), half.keySet());
            int compared = 0;
            for (Map.Entry<String, Parameter> e : model.stateDictParameters().entrySet()) {
                String k = e.getKey();
                if (!MedsaModel.isAdapter(k) || !k.startsWith("image_encoder.")) {
                    continue;
                }
                assertEquals(DataType.FLOAT32, e.getValue().getArray().getDataType(), k + " stays float32");
                float[] a = full.get(k);
                float[] b = half.get(k);
                double dot = 0;
                double na = 0;
                double nb = 0;
                for (int i = 0; i < a.length; i++) {
                    assertTrue(Float.isFinite(b[i]), k + " finite");
                    dot += (double) a[i] * b[i];
                    na += (double) a[i] * a[i];
                    nb += (double) b[i] * b[i];
                }
                if (na == 0) {
                    continue;
                }
                double cos = dot / Math.sqrt(na * nb);
                assertTrue(cos >= 0.999, k + " cosine " + cos);
                assertTrue(Math.abs(Math.sqrt(nb / na) - 1) <= 0.02, k + " norm ratio " + Math.sqrt(nb / na));
                compared++;
            }
            assertTrue(compared > 10, compared + " encoder adapter tensors compared");
        }
    }
}
