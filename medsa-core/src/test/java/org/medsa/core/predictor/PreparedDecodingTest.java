package org.medsa.core.predictor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import org.junit.jupiter.api.Test;
import org.medsa.core.MedsaException;
import org.medsa.core.io.StateDictLoader;
import org.medsa.core.modeling.MaskDecoder;
import org.medsa.core.modeling.Sam;
import org.medsa.core.modeling.SamConfig;
import org.medsa.core.nn.Ops;
import org.medsa.core.testing.FixtureModels;
import org.medsa.core.testing.Fixtures;
import org.medsa.core.testing.ParityTest;
import org.medsa.core.testing.Tolerance;

/**
 * The decoder's image side prepared once per image ({@link Sam#prepareDecoding}) gives what the
 * decoder on the image gives, for batches of points and boxes and both multimask flags, and the
 * predictor never decodes against a preparation of another image or of other weights.
 */
class PreparedDecodingTest {

    @Test
    void preparedDecodingEqualsDecodingTheImage() {
        try (NDManager m = NDManager.newBaseManager()) {
            Sam sam = FixtureModels.sam("sam_tiny", m);
            long[] s = sam.embeddingShape();
            NDArray emb = m.create(Fixtures.floats("sam_tiny", "image_embeddings.npy"), new Shape(s));
            int size = sam.config().imageEncoder.imgSize;
            Engine.getInstance().setRandomSeed(5);
            NDArray points = m.randomUniform(0, size, new Shape(3, 2, 2));
            NDArray labels = m.create(new float[] {1, 0, 1, 1, 0, -1}, new Shape(3, 2));
            NDArray boxes = m.create(new float[] {4, 6, 60, 50, 10, 10, 90, 80, 30, 2, 44, 70}, new Shape(3, 4));
            Ops.noGrad(() -> {
                MaskDecoder.PreparedImage prepared = sam.prepareDecoding(null, emb, false);
                for (boolean multimask : new boolean[] {true, false}) {
                    for (int kind = 0; kind < 3; kind++) {
                        NDArray p = kind == 1 ? null : points;
                        NDArray l = kind == 1 ? null : labels;
                        NDArray b = kind == 0 ? null : boxes;
                        String what = (kind == 0 ? "points" : kind == 1 ? "boxes" : "points+boxes") + ", multimask " + multimask;
                        Sam.DecoderOutput want = sam.decode(null, emb, p, l, b, null, multimask, false);
                        Sam.DecoderOutput got = sam.decode(null, prepared, p, l, b, multimask, false);
                        assertEquals(new Shape(3, multimask ? 3 : 1, 4 * s[2], 4 * s[3]), got.lowResLogits().getShape(), what);
                        Tolerance.assertClose(what + " logits", want.lowResLogits().toFloatArray(), got.lowResLogits()
                                .toFloatArray(),
                                1e-5, 1e-4);
                        Tolerance.assertClose(what + " IoU", want.iouPredictions().toFloatArray(), got.iouPredictions()
                                .toFloatArray(),
                                1e-5, 1e-4);
                        Tolerance.assertClose(what + " keys", want.transformerKeys().toFloatArray(),
                                got.transformerKeys().toFloatArray(), 1e-5, 1e-4);
                    }
                }
                assertThrows(MedsaException.class, () -> sam.decode(null, prepared, null, null, null, false, false));
                return null;
            });
        }
    }

    @Test
    void decodingAgainstAPreparedImageLeavesNothingWithIt() {
        try (NDManager m = NDManager.newBaseManager()) {
            Sam sam = FixtureModels.sam("sam_tiny", m);
            NDManager kept = m.newSubManager();
            NDArray emb = kept.create(Fixtures.floats("sam_tiny", "image_embeddings.npy"), new Shape(sam.embeddingShape()));
            Ops.noGrad(() -> {
                MaskDecoder.PreparedImage prepared = sam.prepareDecoding(null, emb, false);
                int arrays = kept.getManagedArrays().size();
                for (int i = 0; i < 5; i++) {
                    try (NDManager click = m.newSubManager()) {
                        // batch 1: the path whose residual is added inside the last product
                        NDArray points = click.create(new float[] {20 + i, 30}, new Shape(1, 1, 2));
                        NDArray labels = click.create(new float[] {1}, new Shape(1, 1));
                        sam.decode(null, prepared, points, labels, null, i % 2 == 0, false).lowResLogits().toFloatArray();
                    }
                }
                assertEquals(arrays, kept.getManagedArrays().size(), "arrays of the prepared image's manager after 5 decodes");
                return null;
            });
        }
    }

    @Test
    void thePredictorPreparesEachImageAndEachLoadOfWeightsAgain() {
        try (NDManager m = NDManager.newBaseManager()) {
            SamConfig cfg = SamConfig.load(Fixtures.path("sam_tiny", "config.json"));
            Engine.getInstance().setRandomSeed(11);
            Sam sam = new Sam(cfg);
            sam.initialize(m, DataType.FLOAT32); // random weights, not the fixture's
            RgbImage image = RgbImage.fromNpy(Fixtures.npy("sam_tiny", "image.npy"), "image.npy");
            float[] fixtureEmbedding = Fixtures.floats("sam_tiny", "image_embeddings.npy");
            ImageEmbedding e = new ImageEmbedding(sam.geometry().frame(image.height(), image.width()), sam.embeddingShape(),
                    fixtureEmbedding);
            float[] half = fixtureEmbedding.clone();
            for (int i = 0; i < half.length; i++) {
                half[i] *= 0.5f;
            }
            ImageEmbedding other = new ImageEmbedding(e.frame(), e.shape(), half);
            String name = "point1_multi";
            JsonObject cj = Fixtures.json("sam_tiny", "cases", name, "case.json").getAsJsonObject();
            Prompt prompt = PromptsFromCases.promptOf(cj, "sam_tiny", name);
            boolean multimask = cj.get("multimask_output").getAsBoolean();
            float[] want = Fixtures.floats("sam_tiny", "cases", name, "low_res_logits.npy");
            try (SamPredictor p = new SamPredictor(sam, m)) {
                p.setEmbedding(e);
                float[] randomWeights = p.predict(prompt, multimask).lowResLogits();
                assertTrue(maxDiff(want, randomWeights) > 0.1, "random weights must predict something else");
                // the fixture's weights loaded into the same model: the next click must use them
                StateDictLoader.load(sam, Fixtures.path("sam_tiny", "state_dict.pth"), m, new StateDictLoader.Options());
                Tolerance.assertClose("after loading weights", want, p.predict(prompt, multimask).lowResLogits(), ParityTest.ATOL,
                        ParityTest.RTOL);
                p.setEmbedding(other);
                SamPrediction onOther = p.predict(prompt, multimask);
                try (SamPredictor fresh = new SamPredictor(sam, m)) {
                    fresh.setEmbedding(other);
                    assertArrayEquals(fresh.predict(prompt, multimask).lowResLogits(), onOther.lowResLogits(), "another image");
                }
                p.setEmbedding(e);
                Tolerance.assertClose("back to the first image", want, p.predict(prompt, multimask).lowResLogits(),
                        ParityTest.ATOL,
                        ParityTest.RTOL);
                // many clicks leave nothing behind: the preparation is made once and per-click arrays go with the click
                int arrays = m.getManagedArrays().size();
                int preparations = p.preparations();
                for (int i = 0; i < 20; i++) {
                    p.predict(prompt, multimask);
                }
                assertEquals(arrays, m.getManagedArrays().size(), "arrays kept after 20 more clicks");
                assertEquals(preparations, p.preparations(), "clicks on the same image reuse its preparation");
                // a new image through the encoder: prepared again, and the result is that image's
                RgbImage flipped = flipped(image);
                p.setImage(flipped);
                SamPrediction onFlipped = p.predict(prompt, multimask);
                assertEquals(preparations + 1, p.preparations());
                try (SamPredictor fresh = new SamPredictor(sam, m)) {
                    fresh.setImage(flipped);
                    assertArrayEquals(fresh.predict(prompt, multimask).lowResLogits(), onFlipped.lowResLogits(),
                            "after setImage");
                }
            }
        }
    }

    private static double maxDiff(float[] a, float[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }

    /** The image mirrored left to right. */
    private static RgbImage flipped(RgbImage image) {
        byte[] in = image.hwc();
        byte[] out = new byte[in.length];
        int h = image.height();
        int w = image.width();
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                System.arraycopy(in, (y * w + x) * 3, out, (y * w + (w - 1 - x)) * 3, 3);
            }
        }
        return new RgbImage(h, w, out);
    }
}
