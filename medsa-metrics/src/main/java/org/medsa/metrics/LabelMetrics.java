package org.medsa.metrics;

/**
 * Metrics of one label of a label map (the label's voxels in the prediction vs in the reference).
 *
 * <p>Distances are in the spacing's units (mm, or pixels for spacing 1). {@code hd95},
 * {@code hausdorff} and {@code averageSurfaceDistance} are NaN when either mask of the label is
 * empty; report them as null and count them separately. {@code surfaceDice} is NaN when no
 * tolerance was requested.
 *
 * @param label                  the label value
 * @param truthVoxels            voxels with this label in the reference
 * @param predVoxels             voxels with this label in the prediction
 * @param dice                   2|A∩B| / (|A| + |B|); 1 when both are empty, 0 when one is
 * @param iou                    |A∩B| / |A∪B|; 1 when both are empty, 0 when one is
 * @param hd95                   MONAI's HD95 (see {@link SurfaceDistances#hd95()})
 * @param hausdorff              largest surface distance
 * @param averageSurfaceDistance symmetric mean surface distance
 * @param surfaceDice            normalised surface Dice at the requested tolerance, or NaN
 */
public record LabelMetrics(
        int label,
        long truthVoxels,
        long predVoxels,
        double dice,
        double iou,
        double hd95,
        double hausdorff,
        double averageSurfaceDistance,
        double surfaceDice) {

    /** True when the distance metrics are defined (the label is present in both masks). */
    public boolean distancesDefined() {
        return !Double.isNaN(hd95);
    }
}
