package org.medsa.train.prompts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class NegativeClicksTest {

    @Test
    void clicksAreBackgroundPixelsInTheBandAroundTheBox() {
        int batch = 600;
        int height = 48;
        int width = 64;
        boolean[][][] masks = TestMasks.randomBlobs(new Random(2), batch, height, width);
        TestMasks.seed(21);
        try (NDManager manager = NDManager.newBaseManager()) {
            PromptBatch clicks = ClickSampler.negativeClicks(TestMasks.toArray(manager, masks), 4, 0.1);
            float[] points = clicks.points().toFloatArray();
            float[] labels = clicks.labels().toFloatArray();
            int outsideTheTightBox = 0;
            for (int b = 0; b < batch; b++) {
                int[] box = TestMasks.tightBox(masks[b]);
                int margin = (int) Math.ceil(0.1 * Math.max(box[2] - box[0] + 1, box[3] - box[1] + 1) - 1e-4);
                Set<Integer> seen = new HashSet<>();
                for (int j = 0; j < 4; j++) {
                    int x = (int) points[(b * 4 + j) * 2];
                    int y = (int) points[(b * 4 + j) * 2 + 1];
                    assertEquals(0f, labels[b * 4 + j]);
                    boolean inBand =
                            x >= box[0] - margin && x <= box[2] + margin
                                    && y >= box[1] - margin && y <= box[3] + margin;
                    if (bandHasBackground(masks[b], box, margin)) {
                        assertTrue(inBand, "click outside the band in sample " + b);
                    }
                    assertTrue(!masks[b][y][x], "click on the foreground in sample " + b);
                    outsideTheTightBox += x < box[0] || x > box[2] || y < box[1] || y > box[3] ? 1 : 0;
                    seen.add(y * width + x);
                }
                assertEquals(4, seen.size(), "without replacement");
            }
            assertTrue(outsideTheTightBox > batch, "the band beyond the box is used");
        }
    }

    private static boolean bandHasBackground(boolean[][] mask, int[] box, int margin) {
        for (int y = Math.max(0, box[1] - margin); y <= Math.min(mask.length - 1, box[3] + margin); y++) {
            for (int x = Math.max(0, box[0] - margin); x <= Math.min(mask[0].length - 1, box[2] + margin); x++) {
                if (!mask[y][x]) {
                    return true;
                }
            }
        }
        return false;
    }

    /** A 10×10 square with band 0.1 gives a 1-px ring of 44 pixels: each equally likely. */
    @Test
    void clicksAreUniformOverTheBand() {
        boolean[][] mask = TestMasks.rectangle(20, 30, 8, 5, 17, 14);
        int batch = 4400;
        TestMasks.seed(22);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray masks = TestMasks.toArray(manager, TestMasks.repeat(mask, batch));
            float[] points = ClickSampler.negativeClicks(masks, 1).points().toFloatArray();
            long[] hits = new long[44];
            for (int b = 0; b < batch; b++) {
                int x = (int) points[2 * b];
                int y = (int) points[2 * b + 1];
                assertTrue(x >= 7 && x <= 18 && y >= 4 && y <= 15 && !mask[y][x], x + "," + y);
                hits[ringIndex(x - 7, y - 4)]++;
            }
            double[] equal = new double[44];
            Arrays.fill(equal, 1 / 44.0);
            double chi = TestMasks.chiSquare(hits, equal);
            assertTrue(chi < TestMasks.chiSquareCritical(43), "chi-square " + chi);
        }
    }

    /** Position of a pixel on the border of a 12×12 square, 0..43. */
    private static int ringIndex(int x, int y) {
        if (y == 0) {
            return x; // 0..11
        }
        if (y == 11) {
            return 12 + x; // 12..23
        }
        return 24 + (y - 1) * 2 + (x == 0 ? 0 : 1); // 24..43
    }

    @Test
    void fallbacksForNoBandBackgroundAllForegroundAndEmptyMasks() {
        int height = 12;
        int width = 14;
        boolean[][] solid = TestMasks.rectangle(height, width, 2, 2, 6, 6);
        boolean[][] full = TestMasks.rectangle(height, width, 0, 0, width - 1, height - 1);
        boolean[][] empty = new boolean[height][width];
        int copies = 300;
        boolean[][][] masks = new boolean[3 * copies][][];
        for (int i = 0; i < copies; i++) {
            masks[3 * i] = solid;
            masks[3 * i + 1] = full;
            masks[3 * i + 2] = empty;
        }
        TestMasks.seed(23);
        try (NDManager manager = NDManager.newBaseManager()) {
            // Band 0: only the tight box, which has no background: anywhere in the background.
            PromptBatch clicks = ClickSampler.negativeClicks(TestMasks.toArray(manager, masks), 2, 0.0);
            float[] points = clicks.points().toFloatArray();
            float[] labels = clicks.labels().toFloatArray();
            int farFromSolid = 0;
            Set<String> emptyPixels = new HashSet<>();
            for (int b = 0; b < masks.length; b++) {
                for (int j = 0; j < 2; j++) {
                    int x = (int) points[(b * 2 + j) * 2];
                    int y = (int) points[(b * 2 + j) * 2 + 1];
                    float label = labels[b * 2 + j];
                    switch (b % 3) {
                        case 0 -> {
                            assertEquals(0f, label);
                            assertTrue(!solid[y][x]);
                            farFromSolid += x > 9 || y > 9 ? 1 : 0;
                        }
                        case 1 -> assertEquals(1f, label, "all foreground: positive clicks");
                        default -> {
                            assertEquals(0f, label);
                            emptyPixels.add(x + "," + y);
                        }
                    }
                }
            }
            assertTrue(farFromSolid > 100, "background anywhere: " + farFromSolid);
            assertTrue(emptyPixels.size() > 120, "empty masks: clicks over the whole image");
        }
    }
}
