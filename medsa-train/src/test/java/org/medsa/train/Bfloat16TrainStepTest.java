package org.medsa.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.medsa.adapters.MedsaCheckpoints;
import org.medsa.adapters.MedsaConfig;
import org.medsa.adapters.MedsaModel;
import org.medsa.core.modeling.PromptEncoder;
import org.medsa.core.modeling.Sam;
import org.medsa.core.modeling.SamConfig;
import org.medsa.core.nn.Ops;
import org.medsa.core.testing.Fixtures;
import org.medsa.train.losses.Losses;

/**
 * One training step of the official recipe on the {@code medsa_tiny} fixture with the frozen
 * encoder in bfloat16: the adapters' gradients (which flow back through the bfloat16 blocks) have
 * a cosine similarity of at least 0.99 to the float32 ones, which the fixture's official gradients
 * fix (OfficialTrainStepParityTest), and the loss stays within 1 % of float32's.
 */
class Bfloat16TrainStepTest {

    @Test
    void adapterGradientsInBfloat16PointWhereFloat32sDo() {
        try (NDManager m = NDManager.newBaseManager()) {
            MedsaModel model = new MedsaModel(SamConfig.load(Fixtures.path("medsa_tiny", "config.json")),
                    MedsaConfig.builder("official-code").build());
            MedsaCheckpoints.loadBase(model, Fixtures.path("medsa_tiny", "state_dict.pth"), m);
            float[] fp32Loss = new float[1];
            Map<String, float[]> fp32 = step(model, m, DataType.FLOAT32, fp32Loss);
            float[] bf16Loss = new float[1];
            Map<String, float[]> bf16 = step(model, m, DataType.BFLOAT16, bf16Loss);
            assertEquals(fp32.keySet(), bf16.keySet());
            assertTrue(fp32.size() > 10, "parameters with a gradient: " + fp32.size());
            double dot = 0;
            double a2 = 0;
            double b2 = 0;
            double worst = 1;
            String worstName = null;
            for (String k : fp32.keySet()) {
                float[] a = fp32.get(k);
                float[] b = bf16.get(k);
                double d = 0;
                double x = 0;
                double y = 0;
                for (int i = 0; i < a.length; i++) {
                    d += (double) a[i] * b[i];
                    x += (double) a[i] * a[i];
                    y += (double) b[i] * b[i];
                }
                dot += d;
                a2 += x;
                b2 += y;
                double c = x == 0 && y == 0 ? 1 : d / Math.sqrt(x * y);
                if (c < worst) {
                    worst = c;
                    worstName = k;
                }
            }
            double cosine = dot / Math.sqrt(a2 * b2);
            System.out.printf(Locale.ROOT, "bf16 step: loss %.6f vs %.6f; adapter gradient cosine %.5f (all), %.5f (worst: %s)%n",
                    bf16Loss[0], fp32Loss[0], cosine, worst, worstName);
            assertTrue(cosine >= 0.99, "cosine of all adapter gradients " + cosine);
            assertEquals(fp32Loss[0], bf16Loss[0], 0.01 * Math.abs(fp32Loss[0]));
            // bfloat16 really ran: the gradients are not float32's to rounding
            assertTrue(cosine < 1 - 1e-7, "bfloat16 changed nothing: " + cosine);
        }
    }

    private static Map<String, float[]> step(MedsaModel model, NDManager parent, DataType type, float[] loss) {
        Map<String, float[]> grads = new LinkedHashMap<>();
        try (NDManager m = parent.newSubManager()) {
            model.imageEncoder().computeType(type);
            NDArray input = Fixtures.npy("medsa_tiny", "train_step", "input_image.npy").toNDArray(m);
            NDArray points = Fixtures.npy("medsa_tiny", "train_step", "point_coords.npy").toNDArray(m);
            NDArray labels = Fixtures.npy("medsa_tiny", "train_step", "point_labels.npy").toNDArray(m)
                    .toType(DataType.FLOAT32, false);
            NDArray target = Fixtures.npy("medsa_tiny", "train_step", "target.npy").toNDArray(m);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray emb = model.encodeImage(null, input, true);
                PromptEncoder.Embeddings pe = Ops.noGrad(() -> model.encodePrompts(null, m, points, labels, null, null, true));
                Sam.DecoderOutput p = model.decode(null, emb, pe, Sam.validTokens(pe.sparse(), labels, false), false, true);
                NDArray l = Losses.bcePosWeight(2.0).loss(p.lowResLogits(), target, null);
                loss[0] = l.getFloat();
                gc.backward(l);
            }
            for (Map.Entry<String, Parameter> e : model.stateDictParameters().entrySet()) {
                NDArray a = e.getValue().getArray();
                if (a.hasGradient() && e.getKey().contains("image_encoder")) {
                    try (NDArray g = a.getGradient()) {
                        float[] v = g.toFloatArray();
                        grads.put(e.getKey(), v);
                        g.subi(g); // zero it for the next step
                    }
                }
            }
            model.imageEncoder().computeType(DataType.FLOAT32);
        }
        return grads;
    }
}
