package org.medsa.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.medsa.core.MedsaException;

class OverlapMetricsTest {

    @Test
    void offsetSquaresHaveHandComputedDiceAndIou() {
        // 4x4 squares offset by (2, 2): they share a 2x2 block
        boolean[] a = Masks.rectangle(10, 10, 0, 0, 4, 4);
        boolean[] b = Masks.rectangle(10, 10, 2, 2, 6, 6);
        assertEquals(2.0 * 4 / (16 + 16), SegmentationMetrics.dice(a, b), 1e-15);
        assertEquals(4.0 / 28, SegmentationMetrics.iou(a, b), 1e-15);
        assertEquals(SegmentationMetrics.dice(a, b), SegmentationMetrics.dice(b, a), 0.0);
    }

    @Test
    void nestedRectanglesDiffer() {
        boolean[] big = Masks.rectangle(8, 8, 0, 0, 4, 6); // 24 pixels
        boolean[] small = Masks.rectangle(8, 8, 1, 1, 3, 4); // 6 pixels, inside
        assertEquals(12.0 / 30, SegmentationMetrics.dice(small, big), 1e-15);
        assertEquals(6.0 / 24, SegmentationMetrics.iou(small, big), 1e-15);
    }

    @Test
    void identicalMasksScoreOne() {
        boolean[] a = Masks.rectangle(5, 7, 1, 2, 4, 6);
        assertEquals(1.0, SegmentationMetrics.dice(a, a.clone()), 0.0);
        assertEquals(1.0, SegmentationMetrics.iou(a, a.clone()), 0.0);
    }

    @Test
    void emptyMaskConventions() {
        boolean[] empty = new boolean[12];
        boolean[] some = Masks.pixels(3, 4, new int[] {1, 1});
        assertEquals(1.0, SegmentationMetrics.dice(empty, new boolean[12]), 0.0);
        assertEquals(1.0, SegmentationMetrics.iou(empty, new boolean[12]), 0.0);
        assertEquals(0.0, SegmentationMetrics.dice(empty, some), 0.0);
        assertEquals(0.0, SegmentationMetrics.dice(some, empty), 0.0);
        assertEquals(0.0, SegmentationMetrics.iou(empty, some), 0.0);
        assertEquals(0.0, SegmentationMetrics.iou(some, empty), 0.0);
    }

    @Test
    void countOverloadsUseTheSameFormulas() {
        assertEquals(2.0 * 2 / 8, SegmentationMetrics.dice(3, 5, 2), 1e-15);
        assertEquals(2.0 / 6, SegmentationMetrics.iou(3, 5, 2), 1e-15);
        assertEquals(1.0, SegmentationMetrics.dice(0, 0, 0), 0.0);
        assertEquals(1.0, SegmentationMetrics.iou(0, 0, 0), 0.0);
        assertEquals(0.0, SegmentationMetrics.iou(0, 4, 0), 0.0);
    }

    @Test
    void differentLengthsAreRejected() {
        assertThrows(MedsaException.class, () -> SegmentationMetrics.dice(new boolean[3], new boolean[4]));
        assertThrows(MedsaException.class, () -> SegmentationMetrics.iou(new boolean[3], null));
    }
}
