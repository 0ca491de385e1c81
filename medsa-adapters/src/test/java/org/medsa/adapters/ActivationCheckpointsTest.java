package org.medsa.adapters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.util.PairList;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.medsa.core.modeling.DecoderAttention;
import org.medsa.core.modeling.Sam;
import org.medsa.core.modeling.SamConfig;
import org.medsa.core.nn.ActivationCheckpoints;
import org.medsa.core.nn.Ops;
import org.medsa.core.testing.Fixtures;
import org.medsa.core.testing.Tolerance;

/**
 * Checkpointed encoder blocks (forward without autograd, recomputation block by block in the
 * backward) give every trainable parameter the gradient of a normal backward, in 2D and with the
 * SD-Trans depth branch in 3D, within 1e-6 + 1e-3·|ref|.
 */
class ActivationCheckpointsTest {

    @Test
    void gradientsEqualTheNormalBackwardIn2d() {
        compare(1, false);
    }

    @Test
    void gradientsEqualTheNormalBackwardIn3d() {
        compare(2, false);
    }

    /**
     * The orders full-size inputs take: encoder attention scores one query row at a time, decoder
     * projections on the prompt-token side; checkpointed.
     */
    @Test
    void reorderedAttentionGradientsEqualTheNormalBackward() {
        compare(2, true);
    }

    private static void compare(int depth, boolean banded) {
        Engine.getInstance().setRandomSeed(7);
        try (NDManager m = NDManager.newBaseManager()) {
            MedsaModel model = tinyModelWithRandomAdapters(depth, m);
            DecoderAttention.order(model.maskDecoder(), DecoderAttention.Order.PROJECT_ALL);
            Map<String, float[]> normal = gradients(model, m, depth, false);
            if (banded) {
                model.imageEncoder().blocks().forEach(b -> b.attention().scoreBandBytes(1));
                DecoderAttention.order(model.maskDecoder(), DecoderAttention.Order.FEW_TOKEN_SIDE);
            }
            Map<String, float[]> checkpointed = gradients(model, m, depth, true);
            assertEquals(normal.keySet(), checkpointed.keySet());
            int nonZero = 0;
            for (String k : normal.keySet()) {
                Tolerance.assertClose(k, normal.get(k), checkpointed.get(k), 1e-6, 1e-3);
                float sum = 0;
                for (float g : normal.get(k)) {
                    sum += Math.abs(g);
                }
                nonZero += sum > 0 ? 1 : 0;
                if (k.startsWith("image_encoder.") && depth > 1 || k.startsWith("image_encoder.blocks.0.")) {
                    assertTrue(sum > 0, k + " has a gradient");
                }
            }
            assertTrue(nonZero > 40, nonZero + " parameters with gradients");
        }
    }

    /**
     * sam_tiny with paper-preset adapters (volumetric when depth > 1) drawn at random, so that every
     * adapter weight gets a non-zero gradient (the preset starts its up-projections at 0).
     */
    static MedsaModel tinyModelWithRandomAdapters(int depth, NDManager m) {
        MedsaConfig mc = MedsaConfig.builder("paper").volumetric(depth > 1).build();
        MedsaModel model = new MedsaModel(SamConfig.load(Fixtures.path("sam_tiny", "config.json")), mc);
        MedsaCheckpoints.loadBase(model, Fixtures.path("sam_tiny", "state_dict.pth"), m);
        Ops.noGrad(() -> {
            for (Map.Entry<String, Parameter> e : model.stateDictParameters().entrySet()) {
                if (MedsaModel.isAdapter(e.getKey())) {
                    NDArray a = e.getValue().getArray();
                    a.set(m.randomNormal(0, 0.05f, a.getShape(), a.getDataType()).toFloatArray());
                }
            }
            return null;
        });
        return model;
    }

    static Map<String, float[]> gradients(MedsaModel model, NDManager m, int depth, boolean checkpoint) {
        Map<String, float[]> out = new TreeMap<>();
        try (NDManager step = m.newSubManager()) {
            NDArray one = Fixtures.npy("sam_tiny", "input_image.npy").toNDArray(step);
            NDArray input = depth == 1 ? one : NDArrays.concat(new NDList(one, one.flip(3)), 0);
            NDArray points = step.create(new float[] {60, 40, 20, 70}, new Shape(1, 2, 2)).repeat(0, depth);
            NDArray labels = step.create(new float[] {1, 0}, new Shape(1, 2)).repeat(0, depth);
            for (Parameter p : model.stateDictParameters().values()) {
                NDArray a = p.getArray();
                if (a.hasGradient()) {
                    Ops.noGrad(() -> {
                        NDArray g = a.getGradient();
                        g.subi(g);
                        return null;
                    });
                }
            }
            PairList<String, Object> params = new PairList<>();
            if (depth > 1) {
                params.add(AdaptedEncoderBlock.DEPTH, depth);
            }
            ActivationCheckpoints ck = checkpoint ? new ActivationCheckpoints() : null;
            if (ck != null) {
                params.add(ActivationCheckpoints.KEY, ck);
            }
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray emb = model.encodeImage(null, input, true, params, null);
                Sam.DecoderOutput p = model.decode(null, emb, points, labels, null, null, false, true);
                gc.backward(p.lowResLogits().square().mean().add(emb.mul(0.01).square().mean()));
                if (ck != null) {
                    ck.backward();
                }
            }
            for (Map.Entry<String, Parameter> e : model.stateDictParameters().entrySet()) {
                NDArray a = e.getValue().getArray();
                if (a.hasGradient()) {
                    out.put(e.getKey(), a.getGradient().toFloatArray());
                }
            }
        }
        return out;
    }
}
