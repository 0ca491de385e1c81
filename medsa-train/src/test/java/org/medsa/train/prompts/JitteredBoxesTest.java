package org.medsa.train.prompts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

class JitteredBoxesTest {

    /** Two pixels spanning the box (x0, y0)..(x1, y1): a cheap mask with that tight box. */
    private static boolean[][] corners(int height, int width, int x0, int y0, int x1, int y1) {
        boolean[][] mask = new boolean[height][width];
        mask[y0][x0] = true;
        mask[y1][x1] = true;
        return mask;
    }

    /** A 60 × 100 box far from the edges: shifts have mean 0 and std 6 (x) and 10 (y). */
    @Test
    void shiftsAreCentredWithTenPercentOfTheSideAsStd() {
        int batch = 2000;
        int[] box = {50, 40, 109, 139};
        TestMasks.seed(31);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray masks = TestMasks.toArray(manager, TestMasks.repeat(corners(180, 160, 50, 40, 109, 139), batch));
            float[] boxes = BoxSampler.jitteredBoxes(masks).toFloatArray();
            double[] sum = new double[4];
            double[] sumSquares = new double[4];
            for (int b = 0; b < batch; b++) {
                for (int c = 0; c < 4; c++) {
                    double shift = boxes[4 * b + c] - box[c];
                    sum[c] += shift;
                    sumSquares[c] += shift * shift;
                }
            }
            double[] expectedStd = {6, 10, 6, 10};
            for (int c = 0; c < 4; c++) {
                double mean = sum[c] / batch;
                double std = Math.sqrt(sumSquares[c] / batch - mean * mean);
                // The 20 px cap clips y at 2σ: Var = (2Φ(2) − 1 − 4φ(2)) + 4·2(1 − Φ(2)), std 9.595.
                double capped = c % 2 == 0 ? expectedStd[c] : 9.595;
                assertTrue(Math.abs(mean) < 4 * expectedStd[c] / Math.sqrt(batch), "mean " + c + ": " + mean);
                assertEquals(capped, std, 0.05 * capped, "std of coordinate " + c);
            }
        }
    }

    /** A 300 px wide box: std 30 px, so about half the x shifts hit the 20 px cap. */
    @Test
    void shiftsAreClippedAtTwentyPixels() {
        int[] box = {40, 30, 339, 69};
        int calls = 10;
        int perCall = 100;
        int atCap = 0;
        TestMasks.seed(32);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray masks = TestMasks.toArray(manager, TestMasks.repeat(corners(100, 380, 40, 30, 339, 69), perCall));
            for (int call = 0; call < calls; call++) {
                float[] boxes = BoxSampler.jitteredBoxes(masks).toFloatArray();
                for (int b = 0; b < perCall; b++) {
                    for (int c = 0; c < 4; c += 2) {
                        double shift = boxes[4 * b + c] - box[c];
                        assertTrue(Math.abs(shift) <= 20 + 1e-4, "shift " + shift);
                        atCap += Math.abs(shift) > 20 - 1e-4 ? 1 : 0;
                    }
                }
            }
        }
        // P(|N(0, 30²)| > 20) = 0.505 over 2000 shifts.
        assertEquals(0.505, atCap / 2000.0, 0.05);
    }

    @Test
    void boxesStayOrderedInsideTheImageIncludingEdgeAndEmptyMasks() {
        int height = 30;
        int width = 50;
        int batch = 900;
        boolean[][][] masks = new boolean[batch][][];
        for (int b = 0; b < batch; b++) {
            masks[b] =
                    switch (b % 3) {
                        case 0 -> TestMasks.rectangle(height, width, 0, 0, 3, 2); // tiny, in a corner
                        case 1 -> TestMasks.rectangle(height, width, 10, 0, width - 1, height - 1);
                        default -> new boolean[height][width];
                    };
        }
        TestMasks.seed(33);
        try (NDManager manager = NDManager.newBaseManager()) {
            float[] boxes = BoxSampler.jitteredBoxes(TestMasks.toArray(manager, masks)).toFloatArray();
            int moved = 0;
            for (int b = 0; b < batch; b++) {
                float x0 = boxes[4 * b];
                float y0 = boxes[4 * b + 1];
                float x1 = boxes[4 * b + 2];
                float y1 = boxes[4 * b + 3];
                assertTrue(0 <= x0 && x0 <= x1 && x1 <= width - 1, "x order/clip in " + b);
                assertTrue(0 <= y0 && y0 <= y1 && y1 <= height - 1, "y order/clip in " + b);
                moved += b % 3 == 0 && x1 != 3 ? 1 : 0;
                if (b % 3 == 2) {
                    assertTrue(x1 - x0 > width - 1 - 2 * 20 - 1e-3, "an empty mask jitters the full image box");
                }
            }
            assertTrue(moved > 200, "tiny boxes are jittered too");
        }
    }
}
