package org.medsa.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The EDT-based metrics against {@link ReferenceMetrics} on many random masks and spacings. */
class BruteForceComparisonTest {

    private static final double TOLERANCE = 1e-9;

    @Test
    void randomMasksIn2D() {
        Random rng = new Random(2024);
        int compared = 0;
        for (int trial = 0; trial < 300; trial++) {
            int[] shape = {1 + rng.nextInt(18), 1 + rng.nextInt(18)};
            compared += compare(shape, randomSpacing(2, rng, trial), rng, "2D trial " + trial);
        }
        assertTrue(compared > 150, "only " + compared + " cases had both masks non-empty");
    }

    @Test
    void randomMasksIn3D() {
        Random rng = new Random(99);
        int compared = 0;
        for (int trial = 0; trial < 150; trial++) {
            int[] shape = {1 + rng.nextInt(8), 1 + rng.nextInt(9), 1 + rng.nextInt(10)};
            compared += compare(shape, randomSpacing(3, rng, trial), rng, "3D trial " + trial);
        }
        assertTrue(compared > 75, "only " + compared + " cases had both masks non-empty");
    }

    private static double[] randomSpacing(int rank, Random rng, int trial) {
        double[] spacing = new double[rank];
        for (int axis = 0; axis < rank; axis++) {
            spacing[axis] = trial % 5 == 0 ? 1.0 : 0.2 + 3.0 * rng.nextDouble();
        }
        return spacing;
    }

    /** Returns 1 when both masks were non-empty (distances compared), else 0. */
    private static int compare(int[] shape, double[] spacing, Random rng, String what) {
        boolean[] pred = Masks.random(shape, rng);
        boolean[] truth = rng.nextInt(6) == 0 ? pred.clone() : Masks.random(shape, rng);
        String where = what + " shape " + Arrays.toString(shape) + " spacing " + Arrays.toString(spacing);
        SurfaceDistances fast = SurfaceDistances.compute(pred, truth, shape, spacing);
        double[] tolerances = {0.0, 1.0, 2.5, 0.1 + 4 * rng.nextDouble()};

        assertEquals(ReferenceMetrics.any(pred) && ReferenceMetrics.any(truth), fast.defined(), where);
        for (double tau : tolerances) {
            assertEquals(ReferenceMetrics.nsd(pred, truth, shape, spacing, tau), fast.surfaceDice(tau), TOLERANCE,
                    where + " tau " + tau);
        }
        if (!fast.defined()) {
            assertTrue(Double.isNaN(fast.hd95()), where);
            assertTrue(Double.isNaN(fast.hausdorff()), where);
            assertTrue(Double.isNaN(fast.averageSurfaceDistance()), where);
            return 0;
        }
        double[] predToTruth = ReferenceMetrics.directed(pred, truth, shape, spacing);
        double[] truthToPred = ReferenceMetrics.directed(truth, pred, shape, spacing);
        assertArrayEquals(predToTruth, fast.predToTruth(), TOLERANCE, where);
        assertArrayEquals(truthToPred, fast.truthToPred(), TOLERANCE, where);

        double hd95 = Math.max(ReferenceMetrics.percentile(predToTruth, 95), ReferenceMetrics.percentile(truthToPred, 95));
        double hd = Math.max(predToTruth[predToTruth.length - 1], truthToPred[truthToPred.length - 1]);
        double asd = (Arrays.stream(predToTruth).sum() + Arrays.stream(truthToPred).sum())
                / (predToTruth.length + truthToPred.length);
        assertEquals(hd95, fast.hd95(), TOLERANCE, where);
        assertEquals(hd, fast.hausdorff(), TOLERANCE, where);
        assertEquals(asd, fast.averageSurfaceDistance(), TOLERANCE, where);
        assertEquals(hd95, SegmentationMetrics.hd95(pred, truth, shape, spacing), TOLERANCE, where);
        double p = 100 * rng.nextDouble();
        assertEquals(Math.max(ReferenceMetrics.percentile(predToTruth, p), ReferenceMetrics.percentile(truthToPred, p)),
                fast.percentileHausdorff(p), TOLERANCE, where + " percentile " + p);
        return 1;
    }
}
