package org.medsa.train.prompts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.medsa.core.MedsaException;

class CorrectiveClicksTest {

    private static final int HEIGHT = 24;
    private static final int WIDTH = 30;

    /** Logits +4 on the predicted pixels, −4 elsewhere. */
    private static NDArray logits(NDManager manager, boolean[][][] predicted) {
        return TestMasks.toArray(manager, predicted).mul(8f).sub(4f);
    }

    /**
     * Seven situations: FN larger (label 1), FP only (label 0), no error (label 1 on the
     * foreground), empty truth and prediction (label 0 anywhere), empty truth with a prediction,
     * FP larger than a small FN (label 0), FN and FP of equal area (FN wins: label 1).
     */
    private static boolean[][][][] situations() {
        boolean[][] truth = TestMasks.rectangle(HEIGHT, WIDTH, 5, 4, 14, 13);
        boolean[][] missesStrip = TestMasks.rectangle(HEIGHT, WIDTH, 5, 4, 10, 13); // FN: 4 × 10
        TestMasks.fill(missesStrip, 20, 20, 22, 21); // FP: 6
        boolean[][] overshoots = TestMasks.rectangle(HEIGHT, WIDTH, 5, 4, 17, 13); // FP: 3 × 10
        boolean[][] empty = new boolean[HEIGHT][WIDTH];
        boolean[][] spurious = TestMasks.rectangle(HEIGHT, WIDTH, 25, 2, 28, 5);
        boolean[][] overshootsWithHole = TestMasks.rectangle(HEIGHT, WIDTH, 5, 4, 17, 13);
        for (int y = 8; y <= 9; y++) {
            for (int x = 8; x <= 9; x++) {
                overshootsWithHole[y][x] = false; // FN: 4, FP: 30
            }
        }
        boolean[][] shifted = TestMasks.rectangle(HEIGHT, WIDTH, 7, 4, 16, 13); // FN 20, FP 20
        boolean[][][] truths = {truth, truth, truth, empty, empty, truth, truth};
        boolean[][][] predictions = {
            missesStrip, overshoots, truth, empty, spurious, overshootsWithHole, shifted
        };
        return new boolean[][][][] {truths, predictions};
    }

    private static final float[] LABELS = {1, 0, 1, 0, 0, 0, 1};
    private static final int SITUATIONS = LABELS.length;

    /** The set a situation's click must land in. */
    private static boolean allowed(int situation, int x, int y) {
        return switch (situation) {
            case 0 -> x >= 11 && x <= 14 && y >= 4 && y <= 13;
            case 1, 5 -> x >= 15 && x <= 17 && y >= 4 && y <= 13;
            case 2 -> x >= 5 && x <= 14 && y >= 4 && y <= 13;
            case 3 -> true;
            case 4 -> x >= 25 && x <= 28 && y >= 2 && y <= 5;
            default -> x >= 5 && x <= 6 && y >= 4 && y <= 13;
        };
    }

    @Test
    void clicksLandInTheLargerErrorRegionWithItsLabel() {
        boolean[][][][] cases = situations();
        int copies = 300;
        int total = SITUATIONS * copies;
        boolean[][][] truths = new boolean[total][][];
        boolean[][][] predictions = new boolean[total][][];
        for (int i = 0; i < total; i++) {
            truths[i] = cases[0][i % SITUATIONS];
            predictions[i] = cases[1][i % SITUATIONS];
        }
        TestMasks.seed(51);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray masks = TestMasks.toArray(manager, truths);
            NDArray previous = logits(manager, predictions);
            for (boolean interiorMost : new boolean[] {false, true}) {
                PromptBatch clicks = ClickSampler.correctiveClicks(masks, previous, interiorMost);
                assertEquals(new Shape(total, 1, 2), clicks.points().getShape());
                float[] points = clicks.points().toFloatArray();
                float[] labels = clicks.labels().toFloatArray();
                Set<String> missedPixels = new HashSet<>();
                for (int i = 0; i < total; i++) {
                    int x = (int) points[2 * i];
                    int y = (int) points[2 * i + 1];
                    int situation = i % SITUATIONS;
                    assertEquals(LABELS[situation], labels[i], "label of situation " + situation);
                    assertTrue(allowed(situation, x, y), "situation " + situation + " clicked " + x + "," + y);
                    if (situation == 0) {
                        missedPixels.add(x + "," + y);
                    }
                }
                if (interiorMost) {
                    // The 4 × 10 strip's deepest pixels: columns 12..13, rows 5..12 (distance 2).
                    for (String pixel : missedPixels) {
                        String[] xy = pixel.split(",");
                        int x = Integer.parseInt(xy[0]);
                        int y = Integer.parseInt(xy[1]);
                        assertTrue(x >= 12 && x <= 13 && y >= 5 && y <= 12, "not interior-most: " + pixel);
                    }
                } else {
                    assertTrue(missedPixels.size() > 30, "uniform over the 40 missed pixels");
                }
            }
        }
    }

    /** FN made of two parts, 8 and 24 pixels: training clicks hit them 1 : 3. */
    @Test
    void trainingClicksAreUniformInTheChosenRegion() {
        boolean[][] truth = TestMasks.rectangle(HEIGHT, WIDTH, 2, 2, 9, 9);
        TestMasks.fill(truth, 15, 2, 22, 9);
        boolean[][] predicted = TestMasks.rectangle(HEIGHT, WIDTH, 2, 2, 9, 8); // misses 8 px
        TestMasks.fill(predicted, 15, 2, 22, 6); // misses 3 × 8 = 24 px
        int batch = 3200;
        TestMasks.seed(52);
        try (NDManager manager = NDManager.newBaseManager()) {
            float[] points =
                    ClickSampler.correctiveClicks(
                                    TestMasks.toArray(manager, TestMasks.repeat(truth, batch)),
                                    logits(manager, TestMasks.repeat(predicted, batch)),
                                    false)
                            .points()
                            .toFloatArray();
            long[] hits = new long[2];
            for (int i = 0; i < batch; i++) {
                hits[points[2 * i] < 12 ? 0 : 1]++;
            }
            double chi = TestMasks.chiSquare(hits, new double[] {0.25, 0.75});
            assertTrue(chi < TestMasks.chiSquareCritical(1), "chi-square " + chi + " hits " + hits[0] + "/" + hits[1]);
        }
    }

    @Test
    void interiorMostClickIsTheCentreOfSquaresPlusesAndEdgeTouchingShapes() {
        int height = 31;
        int width = 41;
        boolean[][] square = TestMasks.rectangle(height, width, 20, 8, 28, 16); // centre (24, 12)
        boolean[][] plus = TestMasks.rectangle(height, width, 5, 13, 35, 17); // arms 5 px thick
        TestMasks.fill(plus, 18, 2, 22, 28); // centre (20, 15)
        boolean[][] corner = TestMasks.rectangle(height, width, 0, 0, 6, 6); // the image edge bounds it
        boolean[][] empty = new boolean[height][width];
        int copies = 50;
        boolean[][][] truths = new boolean[3 * copies][][];
        for (int i = 0; i < truths.length; i++) {
            truths[i] = i % 3 == 0 ? square : i % 3 == 1 ? plus : corner;
        }
        TestMasks.seed(53);
        try (NDManager manager = NDManager.newBaseManager()) {
            // An empty prediction: the whole truth is the FN region.
            float[] points =
                    ClickSampler.correctiveClicks(
                                    TestMasks.toArray(manager, truths),
                                    logits(manager, TestMasks.repeat(empty, truths.length)),
                                    true)
                            .points()
                            .toFloatArray();
            float[][] centres = {{24, 12}, {20, 15}, {3, 3}};
            for (int i = 0; i < truths.length; i++) {
                assertEquals(centres[i % 3][0], points[2 * i], "x of shape " + i % 3);
                assertEquals(centres[i % 3][1], points[2 * i + 1], "y of shape " + i % 3);
            }
        }
    }

    /** A 15 × 7 rectangle: the deepest pixels form the middle row's ridge x = 13..21; ties are random. */
    @Test
    void interiorMostTiesOnARidgeAreBrokenRandomly() {
        boolean[][] rectangle = TestMasks.rectangle(HEIGHT, WIDTH, 10, 8, 24, 14);
        int batch = 300;
        TestMasks.seed(54);
        try (NDManager manager = NDManager.newBaseManager()) {
            float[] points =
                    ClickSampler.correctiveClicks(
                                    TestMasks.toArray(manager, TestMasks.repeat(rectangle, batch)),
                                    logits(manager, TestMasks.repeat(new boolean[HEIGHT][WIDTH], batch)),
                                    true)
                            .points()
                            .toFloatArray();
            long[] hits = new long[9];
            for (int i = 0; i < batch; i++) {
                assertEquals(11f, points[2 * i + 1], "middle row");
                int x = (int) points[2 * i];
                assertTrue(x >= 13 && x <= 21, "on the ridge: " + x);
                hits[x - 13]++;
            }
            double[] equal = new double[9];
            Arrays.fill(equal, 1 / 9.0);
            double chi = TestMasks.chiSquare(hits, equal);
            assertTrue(chi < TestMasks.chiSquareCritical(8), "chi-square " + chi);
        }
    }

    @Test
    void acceptsChannelShapedLogitsAndRejectsOtherResolutions() {
        boolean[][] truth = TestMasks.rectangle(HEIGHT, WIDTH, 3, 3, 6, 6);
        TestMasks.seed(55);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray masks = TestMasks.toArray(manager, new boolean[][][] {truth, truth});
            NDArray channelLogits = manager.full(new Shape(2, 1, HEIGHT, WIDTH), -1f);
            PromptBatch clicks = ClickSampler.correctiveClicks(masks, channelLogits, true);
            float[] points = clicks.points().toFloatArray();
            assertTrue(points[0] >= 4 && points[0] <= 5 && points[1] >= 4 && points[1] <= 5);
            NDArray lowRes = manager.zeros(new Shape(2, HEIGHT / 2, WIDTH / 2));
            assertThrows(MedsaException.class, () -> ClickSampler.correctiveClicks(masks, lowRes, false));
        }
    }
}
