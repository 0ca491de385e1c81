package org.medsa.adapters;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import org.medsa.core.modeling.Sam;
import org.medsa.core.nn.Ops;
import org.medsa.core.testing.Fixtures;
import org.medsa.core.testing.Tolerance;

/**
 * With the paper's decoder adapters (HyP-Adpt conditioned on the prompt, MLP and I2T adapters, all
 * drawn at random so that none is the identity), decoding against a prepared image gives what
 * decoding the image gives: the adapters act on the tokens and on each block's output, never on
 * the image side the preparation computes.
 */
class PreparedDecodingWithAdaptersTest {

    @Test
    void paperDecoderAdaptersGiveTheSameMasksOnThePreparedPath() {
        try (NDManager m = NDManager.newBaseManager()) {
            MedsaModel model = ActivationCheckpointsTest.tinyModelWithRandomAdapters(1, m);
            NDArray emb = m.create(Fixtures.floats("sam_tiny", "image_embeddings.npy"), new Shape(model.embeddingShape()));
            NDArray points = m.create(new float[] {60, 40, 20, 70, 33, 12, 90, 90}, new Shape(2, 2, 2));
            NDArray labels = m.create(new float[] {1, 0, 1, 1}, new Shape(2, 2));
            NDArray boxes = m.create(new float[] {10, 12, 80, 70, 5, 5, 50, 60}, new Shape(2, 4));
            Ops.noGrad(() -> {
                var prepared = model.prepareDecoding(null, emb, false);
                for (boolean multimask : new boolean[] {true, false}) {
                    Sam.DecoderOutput want = model.decode(null, emb, points, labels, boxes, null, multimask, false);
                    Sam.DecoderOutput got = model.decode(null, prepared, points, labels, boxes, multimask, false);
                    Tolerance.assertClose("logits, multimask " + multimask, want.lowResLogits().toFloatArray(),
                            got.lowResLogits().toFloatArray(), 1e-5, 1e-4);
                    Tolerance.assertClose("IoU, multimask " + multimask, want.iouPredictions().toFloatArray(),
                            got.iouPredictions().toFloatArray(), 1e-5, 1e-4);
                    Tolerance.assertClose("tokens, multimask " + multimask, want.transformerQueries().toFloatArray(),
                            got.transformerQueries().toFloatArray(), 1e-5, 1e-4);
                }
                // the adapters matter here: the same model with SAM's blocks gives other masks
                Sam.DecoderOutput adapted = model.decode(null, prepared, points, labels, null, false, false);
                Sam plain = Sam.load(model.config(), Fixtures.path("sam_tiny", "state_dict.pth"), m);
                Sam.DecoderOutput base = plain.decode(null, emb, points, labels, null, null, false, false);
                float[] a = adapted.lowResLogits().toFloatArray();
                float[] b = base.lowResLogits().toFloatArray();
                double diff = 0;
                for (int i = 0; i < a.length; i++) {
                    diff = Math.max(diff, Math.abs(a[i] - b[i]));
                }
                assertTrue(diff > 1e-2, "the random adapters change the masks (max |diff| " + diff + ")");
                return null;
            });
        }
    }
}
