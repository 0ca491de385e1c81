package org.medsa.metrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.medsa.core.MedsaException;

/**
 * Segmentation metrics on binary masks and integer label maps, in pure Java.
 *
 * <h2>Inputs</h2>
 *
 * Masks are {@code boolean[]} (label maps {@code int[]}) in row-major / C order (last axis
 * fastest) with a {@code shape} such as (H, W) or (D, H, W), and a {@code spacing} giving the voxel
 * size of each axis of {@code shape}, in the same order, in mm (1.0 per axis to measure in pixels).
 * A NIfTI volume stored i-fastest with dims (nx, ny, nz) and pixdim (sx, sy, sz) is the C-order
 * array of shape (nz, ny, nx) and spacing (sz, sy, sx).
 *
 * <h2>Conventions</h2>
 *
 * <ul>
 *   <li>Dice = 2|A∩B| / (|A| + |B|), IoU = |A∩B| / |A∪B| (A = prediction, B = reference). Both
 *       empty: 1.0 (nothing to find, nothing found); exactly one empty: 0.0.
 *   <li>HD95, Hausdorff and average surface distance follow MONAI (see {@link SurfaceDistances}):
 *       surfaces by cross-shaped erosion with outside = background, exact Euclidean distances in
 *       mm, numpy-style linear percentiles, HD95 = max of the two directed 95th percentiles. They
 *       are NaN when either mask is empty; report NaN as null and count it separately.
 *   <li>Normalised surface Dice: per surface voxel, distance ≤ tolerance; both empty 1, one empty 0.
 * </ul>
 */
public final class SegmentationMetrics {

    private SegmentationMetrics() {}

    /** Dice coefficient; 1.0 when both masks are empty, 0.0 when exactly one is. */
    public static double dice(boolean[] pred, boolean[] truth) {
        long[] counts = overlap(pred, truth);
        return dice(counts[0], counts[1], counts[2]);
    }

    /** Intersection over union (Jaccard); 1.0 when both masks are empty, 0.0 when exactly one is. */
    public static double iou(boolean[] pred, boolean[] truth) {
        long[] counts = overlap(pred, truth);
        return iou(counts[0], counts[1], counts[2]);
    }

    /** Dice from voxel counts |A|, |B|, |A∩B|. */
    public static double dice(long predVoxels, long truthVoxels, long intersection) {
        long total = predVoxels + truthVoxels;
        return total == 0 ? 1.0 : 2.0 * intersection / total;
    }

    /** IoU from voxel counts |A|, |B|, |A∩B|. */
    public static double iou(long predVoxels, long truthVoxels, long intersection) {
        long union = predVoxels + truthVoxels - intersection;
        return union == 0 ? 1.0 : (double) intersection / union;
    }

    /** MONAI-convention HD95 in mm (see {@link SurfaceDistances#hd95()}); NaN when either mask is empty. */
    public static double hd95(boolean[] pred, boolean[] truth, int[] shape, double[] spacing) {
        return SurfaceDistances.compute(pred, truth, shape, spacing).hd95();
    }

    /** Hausdorff distance (largest surface distance) in mm; NaN when either mask is empty. */
    public static double hausdorff(boolean[] pred, boolean[] truth, int[] shape, double[] spacing) {
        return SurfaceDistances.compute(pred, truth, shape, spacing).hausdorff();
    }

    /** Symmetric average surface distance in mm; NaN when either mask is empty. */
    public static double averageSurfaceDistance(boolean[] pred, boolean[] truth, int[] shape, double[] spacing) {
        return SurfaceDistances.compute(pred, truth, shape, spacing).averageSurfaceDistance();
    }

    /** Normalised surface Dice at {@code toleranceMm} (see {@link SurfaceDistances#surfaceDice}). */
    public static double normalizedSurfaceDice(boolean[] pred, boolean[] truth, int[] shape, double[] spacing,
            double toleranceMm) {
        return SurfaceDistances.compute(pred, truth, shape, spacing).surfaceDice(toleranceMm);
    }

    /** {@link #perLabel(int[], int[], int[], double[], double)} without surface Dice (left NaN). */
    public static LabelMapMetrics perLabel(int[] pred, int[] truth, int[] shape, double[] spacing) {
        return perLabel(pred, truth, shape, spacing, Double.NaN);
    }

    /**
     * Metrics for every non-zero label of the reference label map: label L is compared as the
     * binary masks {@code pred == L} and {@code truth == L}. Non-zero labels present only in the
     * prediction are listed with their voxel counts. Label 0 is background and never scored.
     *
     * @param nsdToleranceMm tolerance of the normalised surface Dice in mm, or NaN to skip it
     */
    public static LabelMapMetrics perLabel(int[] pred, int[] truth, int[] shape, double[] spacing,
            double nsdToleranceMm) {
        if (pred == null || truth == null) {
            throw new MedsaException("label maps must not be null");
        }
        int n = Grids.checkShape(shape, pred.length, "prediction");
        Grids.checkShape(shape, truth.length, "truth");
        Grids.checkSpacing(spacing, shape.length);
        if (!Double.isNaN(nsdToleranceMm) && (nsdToleranceMm < 0 || Double.isInfinite(nsdToleranceMm))) {
            throw new MedsaException("tolerance must be finite and non-negative, got " + nsdToleranceMm);
        }

        // One pass gathers every label's counts and the bounding box of its two masks.
        Map<Integer, LabelTally> tallies = new HashMap<>();
        int[] coordinate = new int[shape.length];
        for (int i = 0; i < n; i++) {
            int p = pred[i];
            int t = truth[i];
            if (p != 0) {
                LabelTally tally = tallies.computeIfAbsent(p, k -> new LabelTally(shape.length));
                tally.pred++;
                tally.box.include(coordinate);
                if (t == p) {
                    tally.intersection++;
                }
            }
            if (t != 0) {
                LabelTally tally = tallies.computeIfAbsent(t, k -> new LabelTally(shape.length));
                tally.truth++;
                if (t != p) {
                    tally.box.include(coordinate);
                }
            }
            Box.advance(coordinate, shape);
        }

        List<LabelMetrics> results = new ArrayList<>();
        TreeMap<Integer, Long> predictionOnly = new TreeMap<>();
        for (Map.Entry<Integer, LabelTally> e : new TreeMap<>(tallies).entrySet()) {
            int label = e.getKey();
            LabelTally tally = e.getValue();
            if (tally.truth == 0) {
                predictionOnly.put(label, tally.pred);
                continue;
            }
            boolean[] predMask = tally.box.crop(shape, index -> pred[index] == label);
            boolean[] truthMask = tally.box.crop(shape, index -> truth[index] == label);
            SurfaceDistances distances = SurfaceDistances.ofCropped(predMask, truthMask, tally.box.shape(), spacing);
            results.add(new LabelMetrics(
                    label,
                    tally.truth,
                    tally.pred,
                    dice(tally.pred, tally.truth, tally.intersection),
                    iou(tally.pred, tally.truth, tally.intersection),
                    distances.hd95(),
                    distances.hausdorff(),
                    distances.averageSurfaceDistance(),
                    Double.isNaN(nsdToleranceMm) ? Double.NaN : distances.surfaceDice(nsdToleranceMm)));
        }
        return new LabelMapMetrics(results, predictionOnly);
    }

    /** |A|, |B|, |A∩B|. */
    private static long[] overlap(boolean[] pred, boolean[] truth) {
        if (pred == null || truth == null) {
            throw new MedsaException("masks must not be null");
        }
        if (pred.length != truth.length) {
            throw new MedsaException("prediction has " + pred.length + " voxels, truth has " + truth.length);
        }
        long a = 0;
        long b = 0;
        long both = 0;
        for (int i = 0; i < pred.length; i++) {
            if (pred[i]) {
                a++;
                if (truth[i]) {
                    both++;
                }
            }
            if (truth[i]) {
                b++;
            }
        }
        return new long[] {a, b, both};
    }

    private static final class LabelTally {
        final Box box;
        long pred;
        long truth;
        long intersection;

        LabelTally(int rank) {
            box = new Box(rank);
        }
    }
}
