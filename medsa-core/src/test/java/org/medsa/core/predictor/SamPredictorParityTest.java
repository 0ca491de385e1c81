package org.medsa.core.predictor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.medsa.core.io.pth.TensorData;
import org.medsa.core.modeling.Sam;
import org.medsa.core.testing.FixtureModels;
import org.medsa.core.testing.Fixtures;
import org.medsa.core.testing.ParityTest;
import org.medsa.core.testing.Tolerance;

/**
 * The whole predictor, from the raw image and the prompts in original pixels, against the official
 * {@code SamPredictor}: resized image (bit-exact), model input, embeddings, transformed prompts,
 * low-res logits, full-size logits, IoU predictions and binary masks.
 */
class SamPredictorParityTest extends ParityTest {


    @TestFactory
    Stream<DynamicTest> everyCase() throws Exception {
        List<DynamicTest> tests = new ArrayList<>();
        for (String fixture : List.of("sam_tiny", "sam_tiny_large")) {
            try (Stream<Path> cases = Files.list(Fixtures.path(fixture, "cases"))) {
                List<String> names = cases.map(p -> p.getFileName().toString()).sorted().toList();
                assertEquals(fixture.equals("sam_tiny") ? 9 : 4, names.size(), fixture + " cases");
                tests.add(DynamicTest.dynamicTest(fixture, () -> checkFixture(fixture, names)));
            }
        }
        return tests.stream();
    }

    private static void checkFixture(String fixture, List<String> cases) {
        try (NDManager m = manager.newSubManager()) {
            Sam sam = FixtureModels.sam(fixture, m);
            try (SamPredictor predictor = new SamPredictor(sam, m)) {
                RgbImage image = RgbImage.fromNpy(Fixtures.npy(fixture, "image.npy"), "image.npy");
                predictor.setImage(image);
                TensorData resizedRef = Fixtures.npy(fixture, "input_image_resized.npy");
                assertArrayEquals(resizedRef.bytes(), predictor.resizedImage(), fixture + ": Pillow resize must be bit-exact");
                Tolerance.assertClose(fixture + " input_image", Fixtures.floats(fixture, "input_image.npy"),
                        predictor.inputImage().toFloatArray(), 1e-5, 0);
                Tolerance.assertClose(fixture + " image_embeddings", Fixtures.floats(fixture, "image_embeddings.npy"),
                        predictor.imageEmbedding().toFloatArray(), ATOL, RTOL);
                for (String name : cases) {
                    checkCase(fixture, name, predictor);
                }
            }
        }
    }

    private static void checkCase(String fixture, String name, SamPredictor predictor) {
        String w = fixture + "/" + name;
        JsonObject cj = Fixtures.json(fixture, "cases", name, "case.json").getAsJsonObject();
        Prompt prompt = PromptsFromCases.promptOf(cj, fixture, name);
        if (!prompt.points().isEmpty()) {
            double[] xy = new double[prompt.points().size() * 2];
            for (int i = 0; i < prompt.points().size(); i++) {
                xy[2 * i] = prompt.points().get(i).x();
                xy[2 * i + 1] = prompt.points().get(i).y();
            }
            Tolerance.assertClose(w + " transformed points",
                    Fixtures.floats(fixture, "cases", name, "point_coords_transformed.npy"),
                    predictor.transformCoords(xy), 1e-4, 0);
        }
        if (prompt.box() != null) {
            Tolerance.assertClose(w + " transformed box", Fixtures.floats(fixture, "cases", name, "box_transformed.npy"),
                    predictor.transformCoords(prompt.box()), 1e-4, 0);
        }
        SamPrediction r = predictor.predict(prompt, cj.get("multimask_output").getAsBoolean());
        Tolerance.assertClose(w + " low_res_logits", Fixtures.floats(fixture, "cases", name, "low_res_logits.npy"),
                r.lowResLogits(), ATOL, RTOL);
        Tolerance.assertClose(w + " iou_predictions", Fixtures.floats(fixture, "cases", name, "iou_predictions.npy"),
                r.iouPredictions(), ATOL, RTOL);
        float[] refLogits = Fixtures.floats(fixture, "cases", name, "masks_logits.npy");
        Tolerance.assertClose(w + " masks_logits", refLogits, r.masksLogits(), ATOL, RTOL);
        TensorData masks = Fixtures.npy(fixture, "cases", name, "masks.npy");
        int n = r.height() * r.width();
        int mismatches = 0;
        for (int c = 0; c < r.numMasks(); c++) {
            boolean[] got = r.mask(c);
            for (int i = 0; i < n; i++) {
                boolean ref = masks.bytes()[c * n + i] != 0;
                if (Math.abs(refLogits[c * n + i]) > 1e-3 && ref != got[i]) {
                    mismatches++;
                }
            }
        }
        assertEquals(0, mismatches, w + ": binary mask pixels that differ where |logit| > 1e-3");
    }
}
