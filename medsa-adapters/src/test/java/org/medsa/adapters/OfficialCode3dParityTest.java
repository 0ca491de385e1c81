package org.medsa.adapters;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.medsa.core.modeling.Sam;
import org.medsa.core.testing.Fixtures;
import org.medsa.core.testing.ParityTest;
import org.medsa.core.testing.Tolerance;

/** The official 3D ("thd") path: depth grouping with chunk 4 and chunk None, and its decoder. */
class OfficialCode3dParityTest extends ParityTest {


    @Test
    void encoderInputRearrangement() {
        try (NDManager m = manager.newSubManager()) {
            Tolerance.assertClose("encoder_input", Fixtures.floats("medsa_tiny", "thd", "encoder_input.npy"),
                    thdEncoderInput(m).toFloatArray(), 0, 0);
        }
    }

    @Test
    void chunk4EncoderAndDecoder() {
        try (NDManager m = manager.newSubManager()) {
            MedsaModel model = MedsaFixtures.officialTiny(m, null, true, 4);
            List<NDArray> inter = new ArrayList<>();
            NDArray emb = model.encodeVolume(null, thdEncoderInput(m), 4, false, inter);
            Tolerance.assertClose("thd patch_embed",
                    Fixtures.floats("medsa_tiny", "thd", "intermediates", "encoder_patch_embed_out.npy"), inter.get(0)
                            .toFloatArray(), ATOL, RTOL);
            for (int i = 0; i < 4; i++) {
                Tolerance.assertClose("thd block" + i,
                        Fixtures.floats("medsa_tiny", "thd", "intermediates", "encoder_block" + i + "_out.npy"),
                                inter.get(i + 1).toFloatArray(), ATOL, RTOL);
            }
            Tolerance.assertClose("thd image_embeddings", Fixtures.floats("medsa_tiny", "thd", "image_embeddings.npy"),
                    emb.toFloatArray(), ATOL, RTOL);

            NDArray points = Fixtures.npy("medsa_tiny", "thd", "point_coords.npy").toNDArray(m);
            NDArray labels = Fixtures.npy("medsa_tiny", "thd", "point_labels.npy").toNDArray(m).toType(DataType.FLOAT32, false);
            NDArray refEmb = Fixtures.npy("medsa_tiny", "thd", "image_embeddings.npy").toNDArray(m);
            Sam.DecoderOutput p = model.decode(null, refEmb, points, labels, null, null, false, false);
            Tolerance.assertClose("thd sparse", Fixtures.floats("medsa_tiny", "thd", "sparse_embeddings.npy"),
                    p.sparseEmbeddings().toFloatArray(), ATOL, RTOL);
            Tolerance.assertClose("thd dense", Fixtures.floats("medsa_tiny", "thd", "dense_embeddings.npy"), p.denseEmbeddings()
                    .toFloatArray(), ATOL, RTOL);
            assertArrayEquals(new long[] {4, 10, 32}, p.transformerQueries().getShape().getShape());
            Tolerance.assertClose("thd queries", Fixtures.floats("medsa_tiny", "thd", "transformer_queries.npy"),
                    p.transformerQueries().toFloatArray(), ATOL, RTOL);
            Tolerance.assertClose("thd keys", Fixtures.floats("medsa_tiny", "thd", "transformer_keys.npy"), p.transformerKeys()
                    .toFloatArray(), ATOL, RTOL);
            Tolerance.assertClose("thd low_res", Fixtures.floats("medsa_tiny", "thd", "low_res_logits.npy"), p.lowResLogits()
                    .toFloatArray(), ATOL, RTOL);
            Tolerance.assertClose("thd iou", Fixtures.floats("medsa_tiny", "thd", "iou_predictions.npy"), p.iouPredictions()
                    .toFloatArray(), ATOL, RTOL);
        }
    }

    @Test
    void chunkNoneGroupsTheWholeLeadingAxis() {
        try (NDManager m = manager.newSubManager()) {
            MedsaModel model = MedsaFixtures.officialTiny(m, null, true, null);
            List<NDArray> inter = new ArrayList<>();
            NDArray emb = model.encodeVolume(null, thdEncoderInput(m), 4, false, inter);
            for (int i = 0; i < 4; i++) {
                Tolerance.assertClose("chunk None block" + i,
                        Fixtures.floats("medsa_tiny", "thd", "intermediates_chunk_none", "encoder_block" + i + "_out.npy"),
                                inter.get(i + 1).toFloatArray(), ATOL, RTOL);
            }
            Tolerance.assertClose("chunk None embeddings",
                    Fixtures.floats("medsa_tiny", "thd", "image_embeddings_chunk_none.npy"), emb.toFloatArray(), ATOL, RTOL);
        }
    }

    @Test
    void sameSlicesThrough2dPath() {
        try (NDManager m = manager.newSubManager()) {
            MedsaModel model = MedsaFixtures.officialTiny(m, null, false, null);
            NDArray emb = model.encodeImage(null, thdEncoderInput(m), false);
            Tolerance.assertClose("2d path", Fixtures.floats("medsa_tiny", "thd", "image_embeddings_2d_path.npy"),
                    emb.toFloatArray(), ATOL, RTOL);
        }
    }

    @Test
    void closestNumbersFollowTheOfficialWalk() {
        assertArrayEquals(new int[] {1, 4}, AdaptedEncoderBlock.closestNumbers(4));
        assertArrayEquals(new int[] {4, 9}, AdaptedEncoderBlock.closestNumbers(36));
        assertArrayEquals(new int[] {8, 12}, AdaptedEncoderBlock.closestNumbers(96));
        assertArrayEquals(new int[] {4, 8}, AdaptedEncoderBlock.closestNumbers(32));
        assertArrayEquals(new int[] {1, 13}, AdaptedEncoderBlock.closestNumbers(13));
    }
}
