package org.medsa.core.predictor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;
import org.medsa.core.MedsaException;
import org.medsa.core.geometry.ImageFrame;
import org.medsa.core.modeling.Sam;
import org.medsa.core.testing.FixtureModels;
import org.medsa.core.testing.Fixtures;
import org.medsa.core.testing.Tolerance;

/**
 * An exported embedding is the official encoder output, and handed to another predictor it gives
 * bit for bit the same predictions without running the encoder; embeddings of another shape or
 * input size are refused.
 */
class ImageEmbeddingTest {

    @Test
    void anExportedEmbeddingPredictsLikeTheEncodedImage() {
        try (NDManager m = NDManager.newBaseManager()) {
            Sam sam = FixtureModels.sam("sam_tiny", m);
            RgbImage image = RgbImage.fromNpy(Fixtures.npy("sam_tiny", "image.npy"), "image.npy");
            Prompt prompt = new Prompt().point(40, 30, 1).box(10, 12, 90, 70);
            ImageEmbedding e;
            SamPrediction want;
            try (SamPredictor a = new SamPredictor(sam, m)) {
                a.setImage(image);
                e = a.exportEmbedding();
                want = a.predict(prompt, true);
            }
            Tolerance.assertClose("embedding", Fixtures.floats("sam_tiny", "image_embeddings.npy"), e.values(), 1e-4, 1e-3);
            assertArrayEquals(sam.embeddingShape(), e.shape());
            try (SamPredictor b = new SamPredictor(sam, m)) {
                b.setEmbedding(e);
                SamPrediction got = b.predict(prompt, true);
                assertArrayEquals(want.masksLogits(), got.masksLogits());
                assertArrayEquals(want.lowResLogits(), got.lowResLogits());
                assertArrayEquals(want.iouPredictions(), got.iouPredictions());
                assertThrows(IllegalStateException.class, b::resizedImage);
                ImageFrame f = e.frame();
                MedsaException wrongSize = assertThrows(MedsaException.class, () -> b.setEmbedding(new ImageEmbedding(
                        new ImageFrame(f.height(), f.width(), f.inputHeight() / 2, f.inputWidth() / 2, f.size() / 2), e.shape(),
                                e.values())));
                assertTrue(wrongSize.getMessage().contains("model input"), wrongSize.getMessage());
                long[] s = e.shape();
                assertThrows(MedsaException.class, ()
                        -> b.setEmbedding(new ImageEmbedding(f, new long[] {1, s[1] / 2, s[2] * 2, s[3]},
                        e.values())));
            }
            assertThrows(MedsaException.class, () -> new ImageEmbedding(e.frame(), new long[] {1, 2, 3}, new float[6]));
        }
    }
}
