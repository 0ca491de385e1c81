package org.medsa.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.medsa.adapters.MedsaCheckpoints;
import org.medsa.adapters.MedsaConfig;
import org.medsa.adapters.MedsaModel;
import org.medsa.core.modeling.PromptEncoder;
import org.medsa.core.modeling.Sam;
import org.medsa.core.modeling.SamConfig;
import org.medsa.core.nn.Ops;
import org.medsa.core.testing.Fixtures;
import org.medsa.core.testing.ParityTest;
import org.medsa.core.testing.Tolerance;
import org.medsa.train.losses.Losses;

/**
 * One training step of the official recipe (official-code preset, prompt encoder without
 * gradients, BCE with pos_weight 2): prediction, loss and every gradient against the fixtures,
 * in 2D and on the 3D path.
 */
class OfficialTrainStepParityTest {

    private static MedsaModel model(NDManager m, boolean volumetric) {
        MedsaConfig mc = MedsaConfig.builder("official-code").chunk(volumetric ? 4 : null).build();
        MedsaModel model = new MedsaModel(SamConfig.load(Fixtures.path("medsa_tiny", "config.json")), mc);
        MedsaCheckpoints.loadBase(model, Fixtures.path("medsa_tiny", "state_dict.pth"), m);
        return model;
    }

    @Test
    void twoD() throws Exception {
        run(false, "train_step");
    }

    @Test
    void threeD() throws Exception {
        run(true, "thd/train_step");
    }

    private void run(boolean volumetric, String dir) throws Exception {
        String[] d = dir.split("/");
        try (NDManager m = NDManager.newBaseManager()) {
            MedsaModel model = model(m, volumetric);
            NDArray input = volumetric ? ParityTest.thdEncoderInput(m)
                    : Fixtures.npy("medsa_tiny", "train_step", "input_image.npy").toNDArray(m);
            String promptDir = volumetric ? "thd" : "train_step";
            NDArray points = Fixtures.npy("medsa_tiny", promptDir, "point_coords.npy").toNDArray(m);
            NDArray labels = Fixtures.npy("medsa_tiny", promptDir, "point_labels.npy").toNDArray(m)
                    .toType(DataType.FLOAT32, false);
            NDArray target = Fixtures.npy("medsa_tiny", concat(d, "target.npy")).toNDArray(m);
            float loss;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray emb = volumetric ? model.encodeVolume(null, input, 4, true, null) : model.encodeImage(null, input, true);
                PromptEncoder.Embeddings pe = Ops.noGrad(() -> model.encodePrompts(null, m, points, labels, null, null, true));
                Sam.DecoderOutput p = model.decode(null, emb, pe, Sam.validTokens(pe.sparse(), labels, false), false, true);
                Tolerance.assertClose(dir + " pred", Fixtures.floats("medsa_tiny", concat(d, "pred.npy")), p.lowResLogits()
                        .toFloatArray(), 1e-4, 1e-3);
                NDArray l = Losses.bcePosWeight(2.0).loss(p.lowResLogits(), target, null);
                loss = l.getFloat();
                gc.backward(l);
            }
            Tolerance.assertClose(dir + " loss", Fixtures.floats("medsa_tiny", concat(d, "loss.npy")), new float[] {loss}, 1e-6,
                    0);

            Path grads = Fixtures.path("medsa_tiny", concat(d, "grads"));
            Set<String> expected = new TreeSet<>();
            try (Stream<Path> s = Files.list(grads)) {
                s.forEach(p -> expected.add(p.getFileName().toString().replaceAll("\\.npy$", "")));
            }
            Map<String, Parameter> params = model.stateDictParameters();
            Set<String> withGrad = new HashSet<>();
            double maxDiff = 0;
            for (Map.Entry<String, Parameter> e : params.entrySet()) {
                NDArray a = e.getValue().getArray();
                if (!a.hasGradient()) {
                    continue;
                }
                try (NDArray g = a.getGradient()) {
                    if (expected.contains(e.getKey())) {
                        withGrad.add(e.getKey());
                        maxDiff = Math.max(maxDiff, Tolerance.assertClose(dir + " grad " + e.getKey(),
                                Fixtures.npy("medsa_tiny", concat(d, "grads", e.getKey() + ".npy")).toFloatArray(),
                                        g.toFloatArray(), 1e-6, 1e-3));
                    } else {
                        // trainable but not in the graph (prompt encoder, IoU head, 2D Depth adapters)
                        assertEquals(0f, g.abs().sum().getFloat(), dir + ": " + e.getKey() + " should get no gradient");
                    }
                }
            }
            assertEquals(expected, new TreeSet<>(withGrad), dir + ": parameters with a gradient");
            assertTrue(maxDiff < 1e-5, "max gradient difference " + maxDiff);
            JsonObject t = Fixtures.json("medsa_tiny", "train_step", "trainable.json").getAsJsonObject();
            if (!volumetric) {
                assertEquals(t.getAsJsonArray("received_grad_names").size(), withGrad.size());
            }
        }
    }

    /** dir ("thd/train_step") split into path parts, then more parts. */
    private static String[] concat(String[] dir, String... more) {
        String[] r = Arrays.copyOf(dir, dir.length + more.length);
        System.arraycopy(more, 0, r, dir.length, more.length);
        return r;
    }

}
