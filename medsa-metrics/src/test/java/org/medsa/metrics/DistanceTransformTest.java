package org.medsa.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.medsa.core.MedsaException;

class DistanceTransformTest {

    @Test
    void oneDimensionalLineWithSpacing() {
        boolean[] sites = {false, false, true, false, false, false};
        double[] d = DistanceTransform.squaredEuclidean(sites, new int[] {6}, new double[] {1.5});
        for (int p = 0; p < 6; p++) {
            double expected = 1.5 * (p - 2);
            assertEquals(expected * expected, d[p], 1e-12, "p=" + p);
        }
    }

    @Test
    void anisotropicSpacingScalesEachAxis() {
        // single site at (0, 0) of a 3x4 grid with spacing (2, 0.5): (2, 3) is at 4^2 + 1.5^2
        boolean[] sites = Masks.pixels(3, 4, new int[] {0, 0});
        double[] d = DistanceTransform.squaredEuclidean(sites, new int[] {3, 4}, new double[] {2.0, 0.5});
        assertEquals(16 + 2.25, d[2 * 4 + 3], 1e-12);
        assertEquals(4.0, d[1 * 4], 1e-12);
        assertEquals(0.25, d[1], 1e-12);
        assertEquals(0.0, d[0], 0.0);
    }

    @Test
    void noSiteGivesInfinity() {
        double[] d = DistanceTransform.squaredEuclidean(new boolean[12], new int[] {3, 4}, new double[] {1, 1});
        for (double v : d) {
            assertEquals(Double.POSITIVE_INFINITY, v, 0.0);
        }
    }

    @Test
    void matchesBruteForceOnRandomSites() {
        Random rng = new Random(11);
        for (int trial = 0; trial < 150; trial++) {
            int rank = 1 + trial % 3;
            int[] shape = new int[rank];
            double[] spacing = new double[rank];
            for (int axis = 0; axis < rank; axis++) {
                shape[axis] = 1 + rng.nextInt(rank == 3 ? 7 : 15);
                spacing[axis] = 0.2 + 2.8 * rng.nextDouble();
            }
            int n = 1;
            for (int s : shape) {
                n *= s;
            }
            boolean[] sites = new boolean[n];
            double density = rng.nextDouble() * 0.3;
            for (int i = 0; i < n; i++) {
                sites[i] = rng.nextDouble() < density;
            }
            double[] fast = DistanceTransform.squaredEuclidean(sites, shape, spacing);
            List<int[]> points = ReferenceMetrics.points(sites, shape);
            for (int i = 0; i < n; i++) {
                int[] c = ReferenceMetrics.coordinates(i, shape);
                double best = Double.POSITIVE_INFINITY;
                for (int[] q : points) {
                    double dist = ReferenceMetrics.distance(c, q, spacing);
                    best = Math.min(best, dist * dist);
                }
                assertEquals(best, fast[i], 1e-9 * Math.max(1, best), "trial " + trial + " voxel " + i);
            }
        }
    }

    @Test
    void parallelAndSequentialAgreeOnALargeVolume() {
        int[] shape = {40, 180, 150}; // above the parallel threshold of 2^20 voxels
        double[] spacing = {2.5, 0.7, 0.9};
        int n = 40 * 180 * 150;
        Random rng = new Random(3);
        boolean[] sites = new boolean[n];
        for (int k = 0; k < 300; k++) {
            sites[rng.nextInt(n)] = true;
        }
        double[] parallel = new double[n];
        double[] sequential = new double[n];
        DistanceTransform.squaredEuclideanInto(sites, shape, spacing, parallel, true);
        DistanceTransform.squaredEuclideanInto(sites, shape, spacing, sequential, false);
        Assertions.assertArrayEquals(sequential, parallel, 0.0);
        assertEquals(sequential[12345], DistanceTransform.squaredEuclidean(sites, shape, spacing)[12345], 0.0);
        List<int[]> points = ReferenceMetrics.points(sites, shape);
        for (int probe = 0; probe < 300; probe++) {
            int i = rng.nextInt(n);
            int[] c = ReferenceMetrics.coordinates(i, shape);
            double best = Double.POSITIVE_INFINITY;
            for (int[] q : points) {
                double dist = ReferenceMetrics.distance(c, q, spacing);
                best = Math.min(best, dist * dist);
            }
            assertEquals(best, parallel[i], 1e-9 * best, "voxel " + i);
        }
    }

    @Test
    void rejectsBadSpacing() {
        assertThrows(MedsaException.class,
                () -> DistanceTransform.squaredEuclidean(new boolean[4], new int[] {2, 2}, new double[] {1}));
        assertThrows(MedsaException.class,
                () -> DistanceTransform.squaredEuclidean(new boolean[4], new int[] {2, 2}, new double[] {1, 0}));
        assertThrows(MedsaException.class,
                () -> DistanceTransform.squaredEuclidean(new boolean[4], new int[] {2, 2}, new double[] {1, Double.NaN}));
    }
}
