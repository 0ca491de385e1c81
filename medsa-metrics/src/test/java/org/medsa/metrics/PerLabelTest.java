package org.medsa.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.medsa.core.MedsaException;

class PerLabelTest {

    private static final double[] PIXELS = {1, 1};

    /** Hand-made 6x6 maps: truth has labels 1, 2, 5; prediction has 1 (shifted), 2 (exact), 7. */
    @Test
    void handMadeLabelMaps() {
        int[] truth = {
            1, 1, 0, 0, 0, 0,
            1, 1, 0, 0, 2, 0,
            0, 0, 0, 0, 0, 0,
            0, 0, 0, 5, 5, 5,
            0, 0, 0, 5, 5, 5,
            0, 0, 0, 0, 0, 0,
        };
        int[] pred = {
            0, 0, 0, 0, 0, 0,
            0, 1, 1, 0, 2, 0,
            0, 1, 1, 0, 0, 0,
            0, 0, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 7,
            7, 0, 0, 0, 0, 0,
        };
        LabelMapMetrics m = SegmentationMetrics.perLabel(pred, truth, new int[] {6, 6}, PIXELS, 1.0);
        List<LabelMetrics> labels = m.truthLabels();
        assertEquals(List.of(1, 2, 5), labels.stream().map(LabelMetrics::label).toList());
        assertEquals(Map.of(7, 2L), m.predictionOnlyLabels());

        LabelMetrics one = labels.get(0); // 2x2 squares sharing pixel (1, 1)
        assertEquals(4, one.truthVoxels());
        assertEquals(4, one.predVoxels());
        assertEquals(2.0 / 8, one.dice(), 1e-15);
        assertEquals(1.0 / 7, one.iou(), 1e-15);
        // every pixel of a 2x2 square is on its surface; farthest pairs are diagonal neighbours
        assertEquals(Math.sqrt(2), one.hausdorff(), 1e-12);
        // each direction: distances {0, 1, 1, sqrt2}; h = 0.95 * 3 = 2.85
        double hd95 = 1 + 0.85 * (Math.sqrt(2) - 1);
        assertEquals(hd95, one.hd95(), 1e-12);
        assertEquals(6.0 / 8, one.surfaceDice(), 1e-15);

        LabelMetrics two = labels.get(1);
        assertEquals(1.0, two.dice(), 0.0);
        assertEquals(0.0, two.hd95(), 0.0);
        assertEquals(1.0, two.surfaceDice(), 0.0);

        LabelMetrics five = labels.get(2); // missing from the prediction
        assertEquals(6, five.truthVoxels());
        assertEquals(0, five.predVoxels());
        assertEquals(0.0, five.dice(), 0.0);
        assertEquals(0.0, five.iou(), 0.0);
        assertTrue(Double.isNaN(five.hd95()));
        assertFalse(five.distancesDefined());
        assertEquals(0.0, five.surfaceDice(), 0.0);

        assertEquals((0.25 + 1.0 + 0.0) / 3, m.meanDice(), 1e-15);
        assertEquals(1, m.undefinedHd95Count());
        assertEquals((hd95 + 0.0) / 2, m.meanHd95OfDefined(), 1e-12);
    }

    @Test
    void surfaceDiceIsNaNUnlessRequestedAndNegativeLabelsSortFirst() {
        int[] truth = {-1, -1, 0, 3};
        int[] pred = {-1, 0, 0, 3};
        LabelMapMetrics m = SegmentationMetrics.perLabel(pred, truth, new int[] {1, 4}, PIXELS);
        assertEquals(List.of(-1, 3), m.truthLabels().stream().map(LabelMetrics::label).toList());
        assertTrue(Double.isNaN(m.truthLabels().get(0).surfaceDice()));
        assertTrue(m.predictionOnlyLabels().isEmpty());
    }

    @Test
    void backgroundOnlyTruthHasNoLabels() {
        LabelMapMetrics m = SegmentationMetrics.perLabel(new int[] {0, 4, 4, 0}, new int[4], new int[] {2, 2}, PIXELS);
        assertTrue(m.truthLabels().isEmpty());
        assertEquals(Map.of(4, 2L), m.predictionOnlyLabels());
        assertTrue(Double.isNaN(m.meanDice()));
    }

    @Test
    void agreesWithTheBinaryMetricsOnRandomLabelMaps() {
        Random rng = new Random(5);
        for (int trial = 0; trial < 40; trial++) {
            int[] shape = trial % 2 == 0
                    ? new int[] {2 + rng.nextInt(20), 2 + rng.nextInt(20)}
                    : new int[] {2 + rng.nextInt(7), 2 + rng.nextInt(8), 2 + rng.nextInt(9)};
            double[] spacing = new double[shape.length];
            for (int axis = 0; axis < shape.length; axis++) {
                spacing[axis] = 0.3 + 2 * rng.nextDouble();
            }
            int n = Box.volume(shape);
            int[] truth = randomLabels(n, shape, rng);
            int[] pred = randomLabels(n, shape, rng);
            double tau = 1.5;
            LabelMapMetrics m = SegmentationMetrics.perLabel(pred, truth, shape, spacing, tau);
            int[] truthLabels = Arrays.stream(truth).filter(v -> v != 0).distinct().sorted().toArray();
            assertEquals(truthLabels.length, m.truthLabels().size(), "trial " + trial);
            for (int k = 0; k < truthLabels.length; k++) {
                int label = truthLabels[k];
                LabelMetrics got = m.truthLabels().get(k);
                boolean[] p = new boolean[n];
                boolean[] t = new boolean[n];
                for (int i = 0; i < n; i++) {
                    p[i] = pred[i] == label;
                    t[i] = truth[i] == label;
                }
                String where = "trial " + trial + " label " + label;
                assertEquals(label, got.label(), where);
                assertEquals(Masks.count(t), got.truthVoxels(), where);
                assertEquals(Masks.count(p), got.predVoxels(), where);
                assertEquals(SegmentationMetrics.dice(p, t), got.dice(), 1e-15, where);
                assertEquals(SegmentationMetrics.iou(p, t), got.iou(), 1e-15, where);
                assertEquals(ReferenceMetrics.hd(p, t, shape, spacing, 95), got.hd95(), 1e-9, where);
                assertEquals(ReferenceMetrics.hd(p, t, shape, spacing, 100), got.hausdorff(), 1e-9, where);
                assertEquals(ReferenceMetrics.asd(p, t, shape, spacing), got.averageSurfaceDistance(), 1e-9, where);
                assertEquals(ReferenceMetrics.nsd(p, t, shape, spacing, tau), got.surfaceDice(), 1e-12, where);
            }
            for (Map.Entry<Integer, Long> e : m.predictionOnlyLabels().entrySet()) {
                int label = e.getKey();
                assertTrue(Arrays.stream(truth).noneMatch(v -> v == label));
                assertEquals(Arrays.stream(pred).filter(v -> v == label).count(), e.getValue());
            }
        }
    }

    /** Labels 0..5 painted as a few random boxes over noise, so organs are blobs with stray voxels. */
    private static int[] randomLabels(int n, int[] shape, Random rng) {
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = rng.nextInt(10) == 0 ? rng.nextInt(6) : 0;
        }
        int boxes = rng.nextInt(4);
        for (int b = 0; b < boxes; b++) {
            int label = 1 + rng.nextInt(5);
            int[] lo = new int[shape.length];
            int[] hi = new int[shape.length];
            for (int axis = 0; axis < shape.length; axis++) {
                lo[axis] = rng.nextInt(shape[axis]);
                hi[axis] = lo[axis] + 1 + rng.nextInt(shape[axis] - lo[axis]);
            }
            for (int i = 0; i < n; i++) {
                int[] c = ReferenceMetrics.coordinates(i, shape);
                boolean inside = true;
                for (int axis = 0; axis < shape.length; axis++) {
                    inside &= c[axis] >= lo[axis] && c[axis] < hi[axis];
                }
                if (inside) {
                    labels[i] = label;
                }
            }
        }
        return labels;
    }

    @Test
    void rejectsBadArguments() {
        assertThrows(MedsaException.class,
                () -> SegmentationMetrics.perLabel(new int[4], new int[5], new int[] {2, 2}, PIXELS));
        assertThrows(MedsaException.class,
                () -> SegmentationMetrics.perLabel(new int[4], new int[4], new int[] {2, 2}, new double[] {1, 1, 1}));
        assertThrows(MedsaException.class,
                () -> SegmentationMetrics.perLabel(new int[4], new int[4], new int[] {2, 2}, PIXELS, -1));
    }
}
