package org.medsa.adapters;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.medsa.core.modeling.Sam;
import org.medsa.core.predictor.Prompt;
import org.medsa.core.predictor.PromptsFromCases;
import org.medsa.core.predictor.RgbImage;
import org.medsa.core.predictor.SamPrediction;
import org.medsa.core.predictor.SamPredictor;
import org.medsa.core.testing.Fixtures;
import org.medsa.core.testing.ParityTest;
import org.medsa.core.testing.Tolerance;

/** The official-code preset against the official Med-SA model's tensors (medsa_tiny). */
class OfficialCodeParityTest extends ParityTest {


    @Test
    void encoder2d() {
        try (NDManager m = manager.newSubManager()) {
            MedsaModel model = MedsaFixtures.officialTiny(m, null, false, null);
            NDArray input = Fixtures.npy("medsa_tiny", "input_image.npy").toNDArray(m);
            List<NDArray> inter = new ArrayList<>();
            NDArray emb = model.encodeImage(null, input, false, null, inter);
            Tolerance.assertClose("patch_embed", Fixtures.floats("medsa_tiny", "intermediates", "encoder_patch_embed_out.npy"),
                    inter.get(0).toFloatArray(), ATOL, RTOL);
            Tolerance.assertClose("pos_embed_resized",
                    Fixtures.floats("medsa_tiny", "intermediates", "encoder_pos_embed_resized.npy"),
                    model.imageEncoder().positionEmbedding(null, inter.get(0), false).toFloatArray(), ATOL, RTOL);
            for (int i = 0; i < 4; i++) {
                Tolerance.assertClose("block" + i,
                        Fixtures.floats("medsa_tiny", "intermediates", "encoder_block" + i + "_out.npy"), inter.get(i + 1)
                                .toFloatArray(), ATOL, RTOL);
            }
            Tolerance.assertClose("image_embeddings", Fixtures.floats("medsa_tiny", "image_embeddings.npy"), emb.toFloatArray(),
                    ATOL, RTOL);
        }
    }

    @TestFactory
    Stream<DynamicTest> cases2d() throws Exception {
        List<DynamicTest> tests = new ArrayList<>();
        try (Stream<Path> cases = Files.list(Fixtures.path("medsa_tiny", "cases"))) {
            cases.map(p -> p.getFileName().toString()).sorted()
                    .forEach(n -> tests.add(DynamicTest.dynamicTest(n, () -> checkCase(n))));
        }
        assertEquals(7, tests.size());
        return tests.stream();
    }

    private static void checkCase(String name) {
        JsonObject cj = Fixtures.json("medsa_tiny", "cases", name, "case.json").getAsJsonObject();
        int n = cj.get("num_multimask_outputs_of_model").getAsInt();
        boolean flag = cj.get("multimask_output_flag_passed").getAsBoolean();
        try (NDManager m = manager.newSubManager()) {
            MedsaModel model = MedsaFixtures.officialTiny(m, n, false, null);
            // 1. the network alone, from the fixture's embedding and transformed prompts
            NDArray emb = Fixtures.npy("medsa_tiny", "image_embeddings.npy").toNDArray(m);
            NDArray points = null;
            NDArray labels = null;
            NDArray boxes = null;
            NDArray masks = null;
            Path dir = Fixtures.path("medsa_tiny", "cases", name);
            if (Files.exists(dir.resolve("point_coords_transformed.npy"))) {
                points = Fixtures.npy("medsa_tiny", "cases", name, "point_coords_transformed.npy").toNDArray(m);
                labels = Fixtures.npy("medsa_tiny", "cases", name, "point_labels_batched.npy").toNDArray(m)
                        .toType(DataType.FLOAT32, false);
            }
            if (Files.exists(dir.resolve("box_transformed.npy"))) {
                boxes = Fixtures.npy("medsa_tiny", "cases", name, "box_transformed.npy").toNDArray(m);
            }
            if (Files.exists(dir.resolve("mask_input.npy"))) {
                masks = Fixtures.npy("medsa_tiny", "cases", name, "mask_input.npy").toNDArray(m);
            }
            Sam.DecoderOutput p = model.decode(null, emb, points, labels, boxes, masks, flag, false);
            Tolerance.assertClose(name + " sparse", Fixtures.floats("medsa_tiny", "cases", name, "sparse_embeddings.npy"),
                    p.sparseEmbeddings().toFloatArray(), ATOL, RTOL);
            Tolerance.assertClose(name + " dense", Fixtures.floats("medsa_tiny", "cases", name, "dense_embeddings.npy"),
                    p.denseEmbeddings().toFloatArray(), ATOL, RTOL);
            Tolerance.assertClose(name + " queries", Fixtures.floats("medsa_tiny", "cases", name, "transformer_queries.npy"),
                    p.transformerQueries().toFloatArray(), ATOL, RTOL);
            Tolerance.assertClose(name + " keys", Fixtures.floats("medsa_tiny", "cases", name, "transformer_keys.npy"),
                    p.transformerKeys().toFloatArray(), ATOL, RTOL);
            Tolerance.assertClose(name + " low_res", Fixtures.floats("medsa_tiny", "cases", name, "low_res_logits.npy"),
                    p.lowResLogits().toFloatArray(), ATOL, RTOL);
            Tolerance.assertClose(name + " iou", Fixtures.floats("medsa_tiny", "cases", name, "iou_predictions.npy"),
                    p.iouPredictions().toFloatArray(), ATOL, RTOL);

            // 2. the whole predictor from the raw image and the prompt in original pixels
            try (SamPredictor predictor = new SamPredictor(model, m)) {
                predictor.setImage(RgbImage.fromNpy(Fixtures.npy("medsa_tiny", "image.npy"), "image.npy"));
                assertArrayEquals(Fixtures.npy("medsa_tiny", "input_image_resized.npy").bytes(), predictor.resizedImage());
                Prompt prompt = PromptsFromCases.promptOf(cj, "medsa_tiny", name);
                SamPrediction r = predictor.predict(prompt, flag);
                Tolerance.assertClose(name + " predictor low_res",
                        Fixtures.floats("medsa_tiny", "cases", name, "low_res_logits.npy"), r.lowResLogits(), ATOL, RTOL);
                Tolerance.assertClose(name + " predictor masks_logits",
                        Fixtures.floats("medsa_tiny", "cases", name, "masks_logits.npy"), r.masksLogits(), ATOL, RTOL);
                Tolerance.assertClose(name + " predictor iou",
                        Fixtures.floats("medsa_tiny", "cases", name, "iou_predictions.npy"), r.iouPredictions(), ATOL, RTOL);
            }
        }
    }
}
