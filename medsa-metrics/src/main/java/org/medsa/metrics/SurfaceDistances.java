package org.medsa.metrics;

import java.util.Arrays;
import org.medsa.core.MedsaException;

/**
 * The surface-to-surface distances between a predicted and a reference binary mask, and the
 * distance metrics derived from them (HD95, Hausdorff, average surface distance, normalised
 * surface Dice).
 *
 * <h2>Definitions (MONAI's conventions)</h2>
 *
 * <ul>
 *   <li>Surface voxels: see {@link Surfaces} (mask XOR cross-shaped erosion, outside = background).
 *   <li>Directed distances: for every surface voxel of one mask, the Euclidean distance in
 *       millimetres (each axis offset multiplied by that axis's spacing) to the nearest surface
 *       voxel of the other mask, computed exactly with {@link DistanceTransform}.
 *   <li>Percentiles: {@link Percentiles#linear} (numpy's default).
 * </ul>
 *
 * <p>Units are those of the spacing: mm for a spacing in mm, pixels for spacing 1.
 *
 * <p>Distance metrics are undefined when either mask is empty: they return {@link Double#NaN}, and
 * callers report NaN as null (JSON) or count such cases separately rather than averaging them.
 * {@link #surfaceDice} alone is defined then (1 when both are empty, 0 when one is).
 */
public final class SurfaceDistances {

    private final double[] predToTruth; // sorted ascending, mm
    private final double[] truthToPred; // sorted ascending, mm
    private final boolean predEmpty;
    private final boolean truthEmpty;

    private SurfaceDistances(double[] predToTruth, double[] truthToPred, boolean predEmpty, boolean truthEmpty) {
        this.predToTruth = predToTruth;
        this.truthToPred = truthToPred;
        this.predEmpty = predEmpty;
        this.truthEmpty = truthEmpty;
    }

    /**
     * Computes the directed surface distances of two masks.
     *
     * @param pred    predicted mask, row-major (C order)
     * @param truth   reference mask, same shape
     * @param shape   array shape, e.g. (H, W) or (D, H, W)
     * @param spacing voxel size per axis of {@code shape} in mm (use 1.0 for pixels)
     */
    public static SurfaceDistances compute(boolean[] pred, boolean[] truth, int[] shape, double[] spacing) {
        Grids.checkPair(pred, truth, shape, spacing);
        Box box = Box.around(shape, index -> pred[index] || truth[index]);
        if (box.isEmpty()) {
            return ofCropped(new boolean[0], new boolean[0], null, spacing);
        }
        return ofCropped(box.crop(pred, shape), box.crop(truth, shape), box.shape(), spacing);
    }

    /** Masks already cropped to (at least) the bounding box of their union; {@code shape} null when empty. */
    static SurfaceDistances ofCropped(boolean[] pred, boolean[] truth, int[] shape, double[] spacing) {
        boolean predEmpty = Grids.count(pred) == 0;
        boolean truthEmpty = Grids.count(truth) == 0;
        if (predEmpty || truthEmpty) {
            int predSurface = predEmpty ? 0 : Grids.count(Surfaces.of(pred, shape));
            int truthSurface = truthEmpty ? 0 : Grids.count(Surfaces.of(truth, shape));
            // no distances exist; keep the surface sizes so that surfaceDice can report 0
            return new SurfaceDistances(infinities(predSurface), infinities(truthSurface), predEmpty, truthEmpty);
        }
        boolean[] predSurface = Surfaces.of(pred, shape);
        boolean[] truthSurface = Surfaces.of(truth, shape);
        double[] squared = new double[pred.length];
        DistanceTransform.squaredEuclideanInto(truthSurface, shape, spacing, squared);
        double[] predToTruth = sampleSorted(squared, predSurface);
        DistanceTransform.squaredEuclideanInto(predSurface, shape, spacing, squared);
        double[] truthToPred = sampleSorted(squared, truthSurface);
        return new SurfaceDistances(predToTruth, truthToPred, false, false);
    }

    private static double[] infinities(int count) {
        double[] d = new double[count];
        Arrays.fill(d, Double.POSITIVE_INFINITY);
        return d;
    }

    private static double[] sampleSorted(double[] squaredDistance, boolean[] at) {
        double[] out = new double[Grids.count(at)];
        int k = 0;
        for (int i = 0; i < at.length; i++) {
            if (at[i]) {
                out[k++] = Math.sqrt(squaredDistance[i]);
            }
        }
        Arrays.sort(out);
        return out;
    }

    /** True when the predicted mask has no voxel. */
    public boolean predEmpty() {
        return predEmpty;
    }

    /** True when the reference mask has no voxel. */
    public boolean truthEmpty() {
        return truthEmpty;
    }

    /** True when the distance metrics are defined (both masks non-empty). */
    public boolean defined() {
        return !predEmpty && !truthEmpty;
    }

    /** Number of surface voxels of the predicted mask (0 when it is empty). */
    public int predSurfaceVoxels() {
        return predToTruth.length;
    }

    /** Number of surface voxels of the reference mask (0 when it is empty). */
    public int truthSurfaceVoxels() {
        return truthToPred.length;
    }

    /** Distances (mm) from each predicted surface voxel to the reference surface, ascending (a copy); empty if undefined. */
    public double[] predToTruth() {
        return defined() ? predToTruth.clone() : new double[0];
    }

    /** Distances (mm) from each reference surface voxel to the predicted surface, ascending (a copy); empty if undefined. */
    public double[] truthToPred() {
        return defined() ? truthToPred.clone() : new double[0];
    }

    /**
     * MONAI's percentile Hausdorff distance: the larger of the two directed {@code percent}-th
     * percentiles (linear interpolation, as numpy). NaN when either mask is empty.
     */
    public double percentileHausdorff(double percent) {
        if (!defined()) {
            return Double.NaN;
        }
        return Math.max(Percentiles.linear(predToTruth, percent), Percentiles.linear(truthToPred, percent));
    }

    /** HD95 in mm: {@code percentileHausdorff(95)}; NaN when either mask is empty. */
    public double hd95() {
        return percentileHausdorff(95);
    }

    /** The Hausdorff distance (largest surface distance, either direction) in mm; NaN when either mask is empty. */
    public double hausdorff() {
        if (!defined()) {
            return Double.NaN;
        }
        return Math.max(predToTruth[predToTruth.length - 1], truthToPred[truthToPred.length - 1]);
    }

    /**
     * Symmetric average surface distance in mm: the mean of the distances of both directions pooled
     * together (MONAI's {@code symmetric=True}). NaN when either mask is empty.
     */
    public double averageSurfaceDistance() {
        if (!defined()) {
            return Double.NaN;
        }
        double sum = 0;
        for (double d : predToTruth) {
            sum += d;
        }
        for (double d : truthToPred) {
            sum += d;
        }
        return sum / (predToTruth.length + truthToPred.length);
    }

    /**
     * Normalised surface Dice at tolerance {@code toleranceMm}, counted per surface voxel (MONAI's
     * default, not area-weighted): (number of predicted surface voxels within the tolerance of the
     * reference surface + number of reference surface voxels within the tolerance of the predicted
     * surface) / (all surface voxels of both). "Within" is distance ≤ tolerance. 1 when both masks
     * are empty (MONAI returns NaN there), 0 when exactly one is.
     */
    public double surfaceDice(double toleranceMm) {
        if (!(toleranceMm >= 0) || Double.isInfinite(toleranceMm)) {
            throw new MedsaException("tolerance must be finite and non-negative, got " + toleranceMm);
        }
        if (predEmpty && truthEmpty) {
            return 1.0;
        }
        if (!defined()) {
            return 0.0;
        }
        long within = countAtMost(predToTruth, toleranceMm) + countAtMost(truthToPred, toleranceMm);
        return (double) within / (predToTruth.length + truthToPred.length);
    }

    /** Number of values ≤ limit in an ascending array. */
    private static int countAtMost(double[] ascending, double limit) {
        int lo = 0;
        int hi = ascending.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (ascending[mid] <= limit) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
