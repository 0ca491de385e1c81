package org.medsa.train.prompts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PositiveClicksTest {

    @Test
    void clicksAreForegroundPixelsWithoutReplacement() {
        int batch = 600;
        int height = 40;
        int width = 56;
        boolean[][][] masks = TestMasks.randomBlobs(new Random(1), batch, height, width);
        TestMasks.seed(11);
        try (NDManager manager = NDManager.newBaseManager()) {
            PromptBatch clicks = ClickSampler.randomPositiveClicks(TestMasks.toArray(manager, masks), 3);
            assertEquals(new Shape(batch, 3, 2), clicks.points().getShape());
            assertEquals(new Shape(batch, 3), clicks.labels().getShape());
            float[] points = clicks.points().toFloatArray();
            float[] labels = clicks.labels().toFloatArray();
            int repeatedWhenAllowed = 0;
            for (int b = 0; b < batch; b++) {
                Set<Integer> seen = new HashSet<>();
                for (int j = 0; j < 3; j++) {
                    int x = (int) points[(b * 3 + j) * 2];
                    int y = (int) points[(b * 3 + j) * 2 + 1];
                    assertEquals(points[(b * 3 + j) * 2], x, "integer column");
                    assertTrue(masks[b][y][x], "click off the foreground in sample " + b);
                    assertEquals(1f, labels[b * 3 + j]);
                    seen.add(y * width + x);
                }
                int expectedDistinct = Math.min(3, TestMasks.count(masks[b]));
                repeatedWhenAllowed += seen.size() == expectedDistinct ? 0 : 1;
            }
            assertEquals(0, repeatedWhenAllowed, "samples with a repeated click");
        }
    }

    /** An L shape cut into four parts of 12, 30, 45 and 8 pixels: hits ∝ pixel counts. */
    @Test
    void clicksAreUniformOverTheForeground() {
        int height = 20;
        int width = 24;
        boolean[][] mask = new boolean[height][width];
        TestMasks.fill(mask, 2, 2, 5, 4); // 4 × 3 = 12
        TestMasks.fill(mask, 2, 5, 7, 9); // 6 × 5 = 30
        TestMasks.fill(mask, 8, 5, 16, 9); // 9 × 5 = 45
        TestMasks.fill(mask, 20, 15, 21, 18); // 2 × 4 = 8
        int batch = 3000;
        TestMasks.seed(12);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray masks = TestMasks.toArray(manager, TestMasks.repeat(mask, batch));
            float[] points = ClickSampler.randomPositiveClicks(masks, 2).points().toFloatArray();
            long[] hits = new long[4];
            for (int i = 0; i < points.length; i += 2) {
                int x = (int) points[i];
                int y = (int) points[i + 1];
                hits[y <= 4 ? 0 : x >= 20 ? 3 : x <= 7 ? 1 : 2]++;
            }
            double chi = TestMasks.chiSquare(hits, new double[] {12 / 95.0, 30 / 95.0, 45 / 95.0, 8 / 95.0});
            assertTrue(chi < TestMasks.chiSquareCritical(3), "chi-square " + chi);
        }
    }

    /** k = 2 of 4 pixels without replacement: each of the 6 pairs is equally likely. */
    @Test
    void subsetsAreUniform() {
        boolean[][] mask = new boolean[5][7];
        mask[0][0] = true;
        mask[1][3] = true;
        mask[4][6] = true;
        mask[2][5] = true;
        int[] pixels = {0, 1 * 7 + 3, 4 * 7 + 6, 2 * 7 + 5};
        int batch = 6000;
        TestMasks.seed(13);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray masks = TestMasks.toArray(manager, TestMasks.repeat(mask, batch));
            float[] points = ClickSampler.randomPositiveClicks(masks, 2).points().toFloatArray();
            long[] pairs = new long[6];
            for (int b = 0; b < batch; b++) {
                int first = indexOf(pixels, (int) points[b * 4 + 1] * 7 + (int) points[b * 4]);
                int second = indexOf(pixels, (int) points[b * 4 + 3] * 7 + (int) points[b * 4 + 2]);
                assertTrue(first >= 0 && second >= 0 && first != second, "pair " + first + "," + second);
                int low = Math.min(first, second);
                int high = Math.max(first, second);
                pairs[low == 0 ? high - 1 : low == 1 ? high + 1 : 5]++;
            }
            double[] equal = {1 / 6.0, 1 / 6.0, 1 / 6.0, 1 / 6.0, 1 / 6.0, 1 / 6.0};
            double chi = TestMasks.chiSquare(pairs, equal);
            assertTrue(chi < TestMasks.chiSquareCritical(5), "chi-square " + chi);
        }
    }

    private static int indexOf(int[] values, int value) {
        for (int i = 0; i < values.length; i++) {
            if (values[i] == value) {
                return i;
            }
        }
        return -1;
    }

    @Test
    void smallMasksRepeatTheirPixelsAndOnePixelMasksWork() {
        boolean[][] two = new boolean[6][9];
        two[1][2] = true;
        two[5][8] = true;
        boolean[][] one = new boolean[6][9];
        one[0][8] = true;
        TestMasks.seed(14);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray masks = TestMasks.toArray(manager, new boolean[][][] {two, one});
            PromptBatch clicks = ClickSampler.randomPositiveClicks(masks, 5);
            float[] points = clicks.points().toFloatArray();
            Set<String> seenInTwo = new HashSet<>();
            for (int j = 0; j < 5; j++) {
                int x = (int) points[j * 2];
                int y = (int) points[j * 2 + 1];
                assertTrue(two[y][x]);
                seenInTwo.add(x + "," + y);
                assertEquals(8f, points[10 + j * 2]);
                assertEquals(0f, points[10 + j * 2 + 1]);
            }
            assertEquals(2, seenInTwo.size(), "both pixels of the two-pixel mask are used");
            for (float label : clicks.labels().toFloatArray()) {
                assertEquals(1f, label);
            }
        }
    }

    @Test
    void emptyMasksGetUniformBackgroundClicks() {
        int height = 7;
        int width = 11;
        int batch = 2000;
        boolean[][][] masks = new boolean[batch][height][width];
        masks[0][3][3] = true; // one non-empty sample next to the empty ones
        TestMasks.seed(15);
        try (NDManager manager = NDManager.newBaseManager()) {
            PromptBatch clicks = ClickSampler.randomPositiveClicks(TestMasks.toArray(manager, masks), 1);
            float[] points = clicks.points().toFloatArray();
            float[] labels = clicks.labels().toFloatArray();
            assertEquals(1f, labels[0]);
            assertEquals(3f, points[0]);
            long[] quadrantHits = new long[4];
            for (int b = 1; b < batch; b++) {
                assertEquals(0f, labels[b]);
                float x = points[2 * b];
                float y = points[2 * b + 1];
                assertTrue(x >= 0 && x < width && y >= 0 && y < height);
                quadrantHits[(x < 5 ? 0 : 1) + (y < 3 ? 0 : 2)]++;
            }
            // Columns 0..4 of 11, rows 0..2 of 7.
            double[] share = {5 * 3 / 77.0, 6 * 3 / 77.0, 5 * 4 / 77.0, 6 * 4 / 77.0};
            double chi = TestMasks.chiSquare(quadrantHits, share);
            assertTrue(chi < TestMasks.chiSquareCritical(3), "chi-square " + chi);
        }
    }

    /** With margin 2 a click's 5×5 neighbourhood is foreground; without, the rim is hit too. */
    @Test
    void interiorMarginKeepsClicksAwayFromTheBoundaryAndTheImageEdge() {
        int height = 16;
        int width = 22;
        boolean[][] blob = TestMasks.rectangle(height, width, 0, 3, 9, 12); // touches the left edge
        TestMasks.fill(blob, 10, 7, 20, 8); // a 2-px-thick arm: no interior pixels
        boolean[][] thin = TestMasks.rectangle(height, width, 4, 4, 15, 7); // 4 rows: no interior
        int batch = 400;
        boolean[][][] masks = new boolean[batch][][];
        for (int b = 0; b < batch; b++) {
            masks[b] = b % 2 == 0 ? blob : thin;
        }
        TestMasks.seed(16);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray array = TestMasks.toArray(manager, masks);
            float[] inner = ClickSampler.randomPositiveClicks(array, 3, 2).points().toFloatArray();
            float[] anywhere = ClickSampler.randomPositiveClicks(array, 3).points().toFloatArray();
            int rimClicks = 0;
            Set<String> thinPixels = new HashSet<>();
            for (int b = 0; b < batch; b++) {
                for (int j = 0; j < 3; j++) {
                    int i = (b * 3 + j) * 2;
                    int x = (int) inner[i];
                    int y = (int) inner[i + 1];
                    assertTrue(masks[b][y][x]);
                    if (b % 2 == 0) {
                        assertTrue(neighbourhoodInside(blob, x, y, 2), "rim click at " + x + "," + y);
                        rimClicks += neighbourhoodInside(blob, (int) anywhere[i], (int) anywhere[i + 1], 2) ? 0 : 1;
                    } else {
                        thinPixels.add(x + "," + y);
                    }
                }
            }
            assertTrue(rimClicks > 100, "without a margin the rim is clicked too: " + rimClicks);
            assertTrue(thinPixels.size() > 30, "the thin mask falls back to all its pixels");
        }
    }

    private static boolean neighbourhoodInside(boolean[][] mask, int x, int y, int margin) {
        for (int dy = -margin; dy <= margin; dy++) {
            for (int dx = -margin; dx <= margin; dx++) {
                int yy = y + dy;
                int xx = x + dx;
                if (yy < 0 || xx < 0 || yy >= mask.length || xx >= mask[0].length || !mask[yy][xx]) {
                    return false;
                }
            }
        }
        return true;
    }
}
