package org.medsa.train.prompts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class BoxesAtOverlapTest {

    private static final int HEIGHT = 96;
    private static final int WIDTH = 112;
    private static final int BATCH = 2000;

    /** Rectangles (some with a corner cut out) with sides 6..32 px anywhere in the image. */
    private static boolean[][][] randomTargets(long seed) {
        Random random = new Random(seed);
        boolean[][][] masks = new boolean[BATCH][][];
        for (int b = 0; b < BATCH; b++) {
            int w = 6 + random.nextInt(27);
            int h = 6 + random.nextInt(27);
            int x0 = random.nextInt(WIDTH - w + 1);
            int y0 = random.nextInt(HEIGHT - h + 1);
            masks[b] = TestMasks.rectangle(HEIGHT, WIDTH, x0, y0, x0 + w - 1, y0 + h - 1);
            if (random.nextBoolean()) {
                for (int y = y0; y < y0 + h / 2; y++) {
                    for (int x = x0; x < x0 + w / 2; x++) {
                        masks[b][y][x] = false; // an L shape: same tight box
                    }
                }
            }
        }
        return masks;
    }

    @Test
    void iouIsWithinToleranceOfHalfOnRandomTargets() {
        checkIou(0.5, 41);
    }

    @Test
    void iouIsWithinToleranceOfThreeQuartersOnRandomTargets() {
        checkIou(0.75, 42);
    }

    private static void checkIou(double target, long seed) {
        boolean[][][] masks = randomTargets(seed);
        TestMasks.seed(seed);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray array = TestMasks.toArray(manager, masks);
            NDArray result = BoxSampler.boxesAtIou(array, target);
            float[] boxes = result.toFloatArray();
            float[] libraryIou = BoxSampler.boxIou(result, BoxSampler.tightBoxes(array)).toFloatArray();
            int within = 0;
            int largeTargets = 0;
            int aspectKept = 0;
            Set<Float> leftMargins = new HashSet<>();
            for (int b = 0; b < BATCH; b++) {
                int[] gt = TestMasks.tightBox(masks[b]);
                for (int c = 0; c < 4; c++) {
                    assertEquals(Math.round(boxes[4 * b + c]), boxes[4 * b + c], "integer coordinates");
                }
                assertTrue(boxes[4 * b] <= gt[0] && boxes[4 * b + 1] <= gt[1], "contains the GT box " + b);
                assertTrue(boxes[4 * b + 2] >= gt[2] && boxes[4 * b + 3] >= gt[3], "contains the GT box " + b);
                assertTrue(boxes[4 * b] >= 0 && boxes[4 * b + 1] >= 0, "inside the image");
                assertTrue(boxes[4 * b + 2] <= WIDTH - 1 && boxes[4 * b + 3] <= HEIGHT - 1, "inside the image");
                double iou = TestMasks.iou(boxes, 4 * b, gt);
                assertEquals(iou, libraryIou[b], 1e-5);
                within += Math.abs(iou - target) <= 0.02 + 1e-6 ? 1 : 0;
                leftMargins.add(gt[0] - boxes[4 * b]);
                int w = gt[2] - gt[0] + 1;
                int h = gt[3] - gt[1] + 1;
                if (w >= 16 && h >= 16) {
                    // Tier 1 keeps the aspect within 20 %; rounding to pixels adds a little.
                    double aspect =
                            ((boxes[4 * b + 2] - boxes[4 * b] + 1) / w)
                                    / ((boxes[4 * b + 3] - boxes[4 * b + 1] + 1) / h);
                    largeTargets++;
                    aspectKept += Math.abs(Math.log(aspect)) <= Math.log(1.25) ? 1 : 0;
                }
            }
            assertTrue(aspectKept >= 0.99 * largeTargets, "aspect kept: " + aspectKept + "/" + largeTargets);
            double fraction = within / (double) BATCH;
            System.out.printf(Locale.ROOT, "boxesAtIou(%.2f): %.4f of %d boxes within 0.02%n", target, fraction, BATCH);
            assertTrue(fraction >= 0.99, "fraction within 0.02: " + fraction);
            assertTrue(leftMargins.size() > 5, "random placement, not always centred: " + leftMargins);
        }
    }

    @Test
    void gtCoverageModeCoversTheRequestedFraction() {
        boolean[][][] masks = randomTargets(43);
        for (double target : new double[] {0.5, 0.75}) {
            TestMasks.seed(44);
            try (NDManager manager = NDManager.newBaseManager()) {
                NDArray array = TestMasks.toArray(manager, masks);
                float[] boxes = BoxSampler.boxesAtOverlap(array, target, BoxOverlap.GT_COVERAGE, 64).toFloatArray();
                int within = 0;
                int feasible = 0;
                int feasibleWithin = 0;
                int gtSized = 0;
                for (int b = 0; b < BATCH; b++) {
                    int[] gt = TestMasks.tightBox(masks[b]);
                    boolean hit = Math.abs(TestMasks.coverage(boxes, 4 * b, gt) - target) <= 0.02 + 1e-6;
                    within += hit ? 1 : 0;
                    if (coverageReachable(gt[2] - gt[0] + 1, gt[3] - gt[1] + 1, target)) {
                        feasible++;
                        feasibleWithin += hit ? 1 : 0;
                    }
                    boolean sameSize =
                            boxes[4 * b + 2] - boxes[4 * b] == gt[2] - gt[0]
                                    && boxes[4 * b + 3] - boxes[4 * b + 1] == gt[3] - gt[1];
                    gtSized += sameSize ? 1 : 0;
                    assertTrue(boxes[4 * b] >= 0 && boxes[4 * b + 2] <= WIDTH - 1);
                    assertTrue(boxes[4 * b + 1] >= 0 && boxes[4 * b + 3] <= HEIGHT - 1);
                }
                double fraction = within / (double) BATCH;
                double feasibleFraction = feasibleWithin / (double) feasible;
                System.out.printf(
                        Locale.ROOT,
                        "GT_COVERAGE(%.2f): %.4f of all, %.4f of the %d reachable targets within 0.02%n",
                        target, fraction, feasibleFraction, feasible);
                // An integer intersection ow × oh cannot always be within 0.02 of t·w·h
                // (e.g. 10×10 at 0.75): those targets are judged apart.
                assertTrue(feasibleFraction >= 0.99, "coverage within 0.02: " + feasibleFraction);
                assertTrue(fraction >= 0.95, "coverage within 0.02 over all targets: " + fraction);
                assertTrue(gtSized > BATCH / 2, "mostly shifted GT-sized boxes: " + gtSized);
            }
        }
    }

    /** Whether some integer intersection ow × oh (ow ≤ w, oh ≤ h) is within 0.02 of t·w·h. */
    private static boolean coverageReachable(int w, int h, double target) {
        for (int ow = 1; ow <= w; ow++) {
            for (int oh = 1; oh <= h; oh++) {
                if (Math.abs(ow * oh / (double) (w * h) - target) <= 0.02) {
                    return true;
                }
            }
        }
        return false;
    }

    /** 11×11 at IoU 0.75 has only 15×11 and 11×15 solutions (aspect 1.36): tier 2 finds them. */
    @Test
    void targetsNeedingALargeAspectChangeStillReachTheTarget() {
        boolean[][] mask = TestMasks.rectangle(40, 48, 20, 14, 30, 24);
        int batch = 200;
        TestMasks.seed(47);
        try (NDManager manager = NDManager.newBaseManager()) {
            float[] boxes =
                    BoxSampler.boxesAtIou(TestMasks.toArray(manager, TestMasks.repeat(mask, batch)), 0.75)
                            .toFloatArray();
            for (int b = 0; b < batch; b++) {
                double iou = TestMasks.iou(boxes, 4 * b, new int[] {20, 14, 30, 24});
                assertEquals(121.0 / 165.0, iou, 1e-6, "box " + b);
            }
        }
    }

    @Test
    void tinyHugeAndEmptyTargetsGiveValidBoxes() {
        int height = 20;
        int width = 26;
        boolean[][] onePixel = new boolean[height][width];
        onePixel[0][25] = true;
        boolean[][] huge = TestMasks.rectangle(height, width, 1, 1, 24, 18); // cannot reach 0.5
        boolean[][] empty = new boolean[height][width];
        TestMasks.seed(45);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray masks = TestMasks.toArray(manager, new boolean[][][] {onePixel, huge, empty});
            for (BoxOverlap mode : BoxOverlap.values()) {
                float[] boxes = BoxSampler.boxesAtOverlap(masks, 0.5, mode, 64).toFloatArray();
                for (float v : boxes) {
                    assertTrue(Float.isFinite(v));
                }
                if (mode == BoxOverlap.IOU) {
                    // 1 px at IoU 0.5: a 2-pixel box around the corner pixel.
                    assertEquals(0.5, TestMasks.iou(boxes, 0, new int[] {25, 0, 25, 0}), 1e-6);
                    assertTrue(boxes[4] <= 1 && boxes[5] <= 1 && boxes[6] >= 24 && boxes[7] >= 18);
                } else {
                    assertArrayEquals(new float[] {25, 0, 25, 0}, Arrays.copyOfRange(boxes, 0, 4));
                }
                assertArrayEquals(
                        new float[] {0, 0, width - 1, height - 1},
                        Arrays.copyOfRange(boxes, 8, 12),
                        "empty mask: the full image box");
            }
        }
    }

    /** A 24×16 target at IoU 0.5 has many valid enlargements and placements: draws differ. */
    @Test
    void repeatedDrawsOfOneMaskVary() {
        boolean[][] mask = TestMasks.rectangle(64, 64, 20, 24, 43, 39);
        TestMasks.seed(46);
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray masks = TestMasks.toArray(manager, TestMasks.repeat(mask, 200));
            float[] boxes = BoxSampler.boxesAtIou(masks, 0.5).toFloatArray();
            Set<String> distinct = new HashSet<>();
            for (int b = 0; b < 200; b++) {
                distinct.add(boxes[4 * b] + "," + boxes[4 * b + 1] + "," + boxes[4 * b + 2] + "," + boxes[4 * b + 3]);
            }
            assertTrue(distinct.size() > 60, "distinct boxes: " + distinct.size());
        }
    }
}
