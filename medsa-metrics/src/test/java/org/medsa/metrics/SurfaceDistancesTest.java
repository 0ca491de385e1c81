package org.medsa.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.medsa.core.MedsaException;

class SurfaceDistancesTest {

    private static final double[] PIXELS = {1.0, 1.0};

    @Test
    void singlePixelsAreAThreeFourFiveTriangleApart() {
        boolean[] a = Masks.pixels(8, 10, new int[] {2, 3});
        boolean[] b = Masks.pixels(8, 10, new int[] {5, 7});
        SurfaceDistances d = SurfaceDistances.compute(a, b, new int[] {8, 10}, PIXELS);
        assertEquals(5.0, d.hd95(), 1e-12);
        assertEquals(5.0, d.hausdorff(), 1e-12);
        assertEquals(5.0, d.averageSurfaceDistance(), 1e-12);
        assertEquals(5.0, SegmentationMetrics.hd95(a, b, new int[] {8, 10}, PIXELS), 1e-12);
    }

    @Test
    void spacingScalesEachAxisSeparately() {
        boolean[] a = Masks.pixels(8, 10, new int[] {2, 3});
        boolean[] b = Masks.pixels(8, 10, new int[] {5, 7});
        // rows are 2 mm apart, columns 0.5 mm: offsets 3 rows = 6 mm, 4 columns = 2 mm
        assertEquals(Math.sqrt(40), SegmentationMetrics.hd95(a, b, new int[] {8, 10}, new double[] {2.0, 0.5}), 1e-12);
        assertEquals(Math.sqrt(9 * 0.25 + 16 * 4), SegmentationMetrics.hausdorff(a, b, new int[] {8, 10},
                new double[] {0.5, 2.0}), 1e-12);
    }

    @Test
    void shiftedCubesIn3D() {
        int[] shape = {6, 7, 8}; // (z, y, x)
        boolean[] a = Masks.cuboid(shape, 1, 1, 0, 4, 4, 3);
        boolean[] b = Masks.cuboid(shape, 1, 1, 2, 4, 4, 5); // shifted by 2 along x
        // a's surface: the x=0 face (9 voxels) is 2 from b's x=2 face, the x=1 ring (8) is 1 away,
        // the x=2 face (9) lies on b's surface: 9 zeros, 8 ones, 9 twos; h = 0.95*25 = 23.75 -> 2
        SurfaceDistances d = SurfaceDistances.compute(a, b, shape, new double[] {1, 1, 1});
        assertEquals(26, d.predSurfaceVoxels());
        assertEquals(26, d.truthSurfaceVoxels());
        assertEquals(2.0, d.hd95(), 1e-12);
        assertEquals(2.0, d.hausdorff(), 1e-12);
        assertEquals((8 * 1 + 9 * 2) / 26.0, d.averageSurfaceDistance(), 1e-12);
        assertEquals(1.0 / 3, SegmentationMetrics.dice(a, b), 1e-15);
        assertEquals(9.0 / 45, SegmentationMetrics.iou(a, b), 1e-15);
        // the shift is along the last axis: its spacing scales HD95, the others do not
        assertEquals(3.0, SegmentationMetrics.hd95(a, b, shape, new double[] {1, 1, 1.5}), 1e-12);
        assertEquals(2.0, SegmentationMetrics.hd95(a, b, shape, new double[] {2.5, 0.7, 1}), 1e-12);
    }

    @Test
    void borderTouchingMaskHasItsBorderOnTheSurface() {
        // a fills the 4x4 image, so its surface is the 12-pixel border ring; b is pixel (1, 1)
        boolean[] a = new boolean[16];
        Arrays.fill(a, true);
        boolean[] b = Masks.pixels(4, 4, new int[] {1, 1});
        SurfaceDistances d = SurfaceDistances.compute(a, b, new int[] {4, 4}, PIXELS);
        double r2 = Math.sqrt(2);
        double r5 = Math.sqrt(5);
        double r8 = Math.sqrt(8);
        double[] ringToPixel = {1, 1, r2, r2, r2, 2, 2, r5, r5, r5, r5, r8};
        assertArrayEquals(ringToPixel, d.predToTruth(), 1e-12);
        assertArrayEquals(new double[] {1}, d.truthToPred(), 1e-12);
        // h = 0.95 * 11 = 10.45: 45% of the way from sqrt(5) to sqrt(8)
        assertEquals(r5 + 0.45 * (r8 - r5), d.hd95(), 1e-12);
        assertEquals(r8, d.hausdorff(), 1e-12);
        assertEquals((6 + 3 * r2 + 4 * r5 + r8 + 1) / 13, d.averageSurfaceDistance(), 1e-12); // 12 ring + 1 pixel
        // within 1.5: five ring pixels (1, 1, sqrt2 x3) plus b's pixel itself
        assertEquals(6.0 / 13, d.surfaceDice(1.5), 1e-15);
    }

    @Test
    void percentileHausdorffIsTheMaxOfTheTwoDirections() {
        boolean[] a = new boolean[16];
        Arrays.fill(a, true);
        boolean[] b = Masks.pixels(4, 4, new int[] {1, 1});
        SurfaceDistances ab = SurfaceDistances.compute(a, b, new int[] {4, 4}, PIXELS);
        SurfaceDistances ba = SurfaceDistances.compute(b, a, new int[] {4, 4}, PIXELS);
        assertEquals(ab.hd95(), ba.hd95(), 0.0);
        assertEquals(2.0, ab.percentileHausdorff(50), 1e-12); // ring side: h = 5.5 between x[5] = x[6] = 2
        assertEquals(1.0, ab.percentileHausdorff(0), 1e-12);
    }

    @Test
    void surfaceDiceCountsDistancesUpToTheTolerance() {
        boolean[] a = Masks.pixels(8, 10, new int[] {2, 3});
        boolean[] b = Masks.pixels(8, 10, new int[] {5, 7});
        SurfaceDistances d = SurfaceDistances.compute(a, b, new int[] {8, 10}, PIXELS);
        assertEquals(1.0, d.surfaceDice(5.0), 0.0);
        assertEquals(0.0, d.surfaceDice(4.999), 0.0);
        assertThrows(MedsaException.class, () -> d.surfaceDice(-1));
        assertEquals(0.0, SegmentationMetrics.normalizedSurfaceDice(a, b, new int[] {8, 10}, PIXELS, 1.0), 0.0);
    }

    @Test
    void identicalMasksHaveZeroDistances() {
        boolean[] a = Masks.rectangle(9, 9, 2, 1, 7, 6);
        SurfaceDistances d = SurfaceDistances.compute(a, a.clone(), new int[] {9, 9}, new double[] {0.8, 1.3});
        assertEquals(0.0, d.hd95(), 0.0);
        assertEquals(0.0, d.hausdorff(), 0.0);
        assertEquals(0.0, d.averageSurfaceDistance(), 0.0);
        assertEquals(1.0, d.surfaceDice(0.0), 0.0);
    }

    @Test
    void emptyMasksMakeDistancesUndefined() {
        int[] shape = {5, 5};
        boolean[] empty = new boolean[25];
        boolean[] some = Masks.rectangle(5, 5, 1, 1, 3, 3);

        SurfaceDistances predEmpty = SurfaceDistances.compute(empty, some, shape, PIXELS);
        assertTrue(predEmpty.predEmpty());
        assertFalse(predEmpty.truthEmpty());
        assertFalse(predEmpty.defined());
        assertTrue(Double.isNaN(predEmpty.hd95()));
        assertTrue(Double.isNaN(predEmpty.hausdorff()));
        assertTrue(Double.isNaN(predEmpty.averageSurfaceDistance()));
        assertEquals(0.0, predEmpty.surfaceDice(100), 0.0);
        assertEquals(0, predEmpty.predToTruth().length);

        SurfaceDistances truthEmpty = SurfaceDistances.compute(some, empty, shape, PIXELS);
        assertTrue(truthEmpty.truthEmpty());
        assertTrue(Double.isNaN(truthEmpty.hd95()));
        assertEquals(0.0, truthEmpty.surfaceDice(100), 0.0);

        SurfaceDistances both = SurfaceDistances.compute(empty, new boolean[25], shape, PIXELS);
        assertTrue(Double.isNaN(both.hd95()));
        assertEquals(1.0, both.surfaceDice(0), 0.0);
        assertTrue(Double.isNaN(SegmentationMetrics.hd95(empty, some, shape, PIXELS)));
    }

    @Test
    void croppingToTheMasksDoesNotChangeTheAnswer() {
        // the same pair, alone in a tight array and placed in a large one
        boolean[] a = Masks.rectangle(6, 5, 0, 0, 4, 3);
        boolean[] b = Masks.rectangle(6, 5, 2, 1, 6, 5);
        double[] spacing = {0.7, 1.9};
        SurfaceDistances tight = SurfaceDistances.compute(a, b, new int[] {6, 5}, spacing);
        boolean[] bigA = new boolean[40 * 30];
        boolean[] bigB = new boolean[40 * 30];
        for (int r = 0; r < 6; r++) {
            for (int c = 0; c < 5; c++) {
                bigA[(r + 17) * 30 + c + 11] = a[r * 5 + c];
                bigB[(r + 17) * 30 + c + 11] = b[r * 5 + c];
            }
        }
        SurfaceDistances big = SurfaceDistances.compute(bigA, bigB, new int[] {40, 30}, spacing);
        // outside the tight array is background just as the big array's margin is, so nothing changes
        assertArrayEquals(tight.predToTruth(), big.predToTruth(), 0.0);
        assertArrayEquals(tight.truthToPred(), big.truthToPred(), 0.0);
        assertArrayEquals(ReferenceMetrics.directed(bigA, bigB, new int[] {40, 30}, spacing), big.predToTruth(), 1e-12);
        assertArrayEquals(ReferenceMetrics.directed(bigB, bigA, new int[] {40, 30}, spacing), big.truthToPred(), 1e-12);
    }

    @Test
    void rejectsMismatchedInputs() {
        assertThrows(MedsaException.class,
                () -> SurfaceDistances.compute(new boolean[6], new boolean[6], new int[] {2, 3}, new double[] {1}));
        assertThrows(MedsaException.class,
                () -> SurfaceDistances.compute(new boolean[6], new boolean[8], new int[] {2, 3}, PIXELS));
        assertThrows(MedsaException.class,
                () -> SurfaceDistances.compute(new boolean[6], new boolean[6], new int[] {2, 3}, new double[] {1, -2}));
    }
}
