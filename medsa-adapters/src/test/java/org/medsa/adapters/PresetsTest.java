package org.medsa.adapters;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.medsa.core.modeling.Sam;
import org.medsa.core.modeling.SamConfig;
import org.medsa.core.predictor.Prompt;
import org.medsa.core.predictor.PromptsFromCases;
import org.medsa.core.predictor.RgbImage;
import org.medsa.core.predictor.SamPrediction;
import org.medsa.core.predictor.SamPredictor;
import org.medsa.core.testing.FixtureModels;
import org.medsa.core.testing.Fixtures;
import org.medsa.core.testing.Tolerance;

/** Freezing rules, trainable names and counts of both presets, and the paper preset's start at SAM. */
class PresetsTest {

    static MedsaModel paperOnSamTiny(NDManager m) {
        MedsaModel model = new MedsaModel(SamConfig.load(Fixtures.path("sam_tiny", "config.json")), MedsaConfig.preset("paper"));
        MedsaCheckpoints.BaseLoad r = MedsaCheckpoints.loadBase(model, Fixtures.path("sam_tiny", "state_dict.pth"), m);
        assertFalse(r.containedAdapters());
        return model;
    }

    @Test
    void paperPresetWithZeroUpProjectionsEqualsPlainSamOnEveryCase() throws Exception {
        List<String> cases;
        try (Stream<Path> s = Files.list(Fixtures.path("sam_tiny", "cases"))) {
            cases = s.map(p -> p.getFileName().toString()).sorted().toList();
        }
        assertEquals(9, cases.size(), "sam_tiny cases");
        try (NDManager m = NDManager.newBaseManager()) {
            Sam sam = FixtureModels.sam("sam_tiny", m);
            MedsaModel paper = paperOnSamTiny(m);
            RgbImage image = RgbImage.fromNpy(Fixtures.npy("sam_tiny", "image.npy"), "image.npy");
            try (SamPredictor ps = new SamPredictor(sam, m); SamPredictor pm = new SamPredictor(paper, m)) {
                ps.setImage(image);
                pm.setImage(image);
                assertArrayEquals(ps.imageEmbedding().toFloatArray(), pm.imageEmbedding().toFloatArray());
                for (String c : cases) {
                    JsonObject cj = Fixtures.json("sam_tiny", "cases", c, "case.json").getAsJsonObject();
                    Prompt prompt = PromptsFromCases.promptOf(cj, "sam_tiny", c);
                    boolean mm = cj.get("multimask_output").getAsBoolean();
                    SamPrediction a = ps.predict(prompt, mm);
                    SamPrediction b = pm.predict(prompt, mm);
                    assertArrayEquals(a.lowResLogits(), b.lowResLogits(), c + " low-res logits");
                    assertArrayEquals(a.iouPredictions(), b.iouPredictions(), c + " iou");
                    Tolerance.assertClose(c + " vs fixture",
                            Fixtures.floats("sam_tiny", "cases", c, "masks_logits.npy"), b.masksLogits(), 1e-4, 1e-3);
                }
            }
        }
    }

    @Test
    void paperGradientsReachAdaptersOnly() {
        try (NDManager m = NDManager.newBaseManager()) {
            MedsaModel model = paperOnSamTiny(m);
            Map<String, Parameter> all = model.stateDictParameters();
            for (Map.Entry<String, Parameter> e : all.entrySet()) {
                assertEquals(MedsaModel.isAdapter(e.getKey()), e.getValue().getArray().hasGradient(), e.getKey()
                        + " requires grad");
            }
            try (NDManager step = m.newSubManager()) {
                NDArray input = Fixtures.npy("sam_tiny", "input_image.npy").toNDArray(step);
                NDArray points = step.create(new float[] {60, 40, 20, 70}, new Shape(1, 2, 2));
                NDArray labels = step.create(new float[] {1, 0}, new Shape(1, 2));
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray emb = model.encodeImage(null, input, true);
                    Sam.DecoderOutput p = model.decode(null, emb, points, labels, null, null, false, true);
                    gc.backward(p.lowResLogits().square().mean());
                }
                int nonZero = 0;
                Set<String> withGrad = new TreeSet<>();
                for (Map.Entry<String, Parameter> e : all.entrySet()) {
                    NDArray a = e.getValue().getArray();
                    if (!a.hasGradient()) {
                        continue;
                    }
                    float g = a.getGradient().abs().sum().getFloat();
                    if (g > 0) {
                        nonZero++;
                        withGrad.add(e.getKey());
                    }
                }
                // With zero up-projections, exactly the up-projections learn first: the down-projections and
                // HyP-Adpt's weight generator sit behind a zero matrix. Every adapter of a 2D forward takes part:
                // 4 blocks x (Space, MLP) in the encoder, 2 layers x (I2T, MLP, HyP) in the decoder.
                Set<String> upProjections = new TreeSet<>();
                for (String k : all.keySet()) {
                    if (MedsaModel.isAdapter(k) && (k.endsWith(".D_fc2.weight") || k.endsWith(".D_fc2.bias"))) {
                        upProjections.add(k);
                    }
                }
                assertEquals(28, upProjections.size());
                assertEquals(upProjections, withGrad);
                assertEquals(28, nonZero);
            }
        }
    }

    @Test
    void officialTrainableNamesEqualTheFixtures() {
        JsonObject t = Fixtures.json("medsa_tiny", "train_step", "trainable.json").getAsJsonObject();
        Set<String> expected = new HashSet<>();
        for (var e : t.getAsJsonArray("requires_grad_true_names")) {
            expected.add(e.getAsString());
        }
        MedsaModel model = new MedsaModel(SamConfig.load(Fixtures.path("medsa_tiny", "config.json")),
                MedsaConfig.preset("official-code"));
        assertEquals(new TreeSet<>(expected), new TreeSet<>(model.trainableParameters().keySet()));
        ParameterCounts c = ParameterCounts.of(model);
        assertEquals(t.get("requires_grad_true_count").getAsLong(), c.trainable());
        assertEquals(t.get("total_parameter_count").getAsLong(), c.total());
        assertEquals(t.get("image_encoder_adapter_count").getAsLong(), c.parts().get("image_encoder")[2]);
    }

    @Test
    void officialCountsMatchTheReadmeTable() {
        long[][] expected = { // total, trainable, adapters
            {104_386_864L, 14_715_952L, 10_651_392L},
            {350_183_728L, 41_905_456L, 37_840_896L},
            {719_887_408L, 82_861_360L, 78_796_800L},
        };
        String[] presets = {"vit_b", "vit_l", "vit_h"};
        for (int i = 0; i < 3; i++) {
            ParameterCounts c = ParameterCounts.of(new MedsaModel(SamConfig.preset(presets[i]),
                    MedsaConfig.preset("official-code")));
            assertEquals(expected[i][0], c.total(), presets[i] + " total");
            assertEquals(expected[i][1], c.trainable(), presets[i] + " trainable");
            assertEquals(expected[i][2], c.parts().get("image_encoder")[2], presets[i] + " adapters");
        }
    }

    @Test
    void paperVitHTrainsAbout13Million() {
        ParameterCounts c = ParameterCounts.of(new MedsaModel(SamConfig.preset("vit_h"), MedsaConfig.preset("paper")));
        // 64 x 165,184 in the encoder (two adapters of width 64 per block of 1280) + 2,435,712 in the decoder
        assertEquals(13_007_488L, c.trainable());
        // SAM itself is untouched: total = SAM's 641,090,608 + adapters
        assertEquals(641_090_608L + c.trainable(), c.total());
        // encoder: 64 adapters of 2·1280·64 + 64 + 1280 = 165,184
        assertEquals(64L * 165_184, c.parts().get("image_encoder")[1]);
    }
}
