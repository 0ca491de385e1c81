package org.medsa.metrics;

import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The result of {@link SegmentationMetrics#perLabel}: metrics for every non-zero label of the
 * reference, and the labels that occur only in the prediction.
 *
 * @param truthLabels          one entry per non-zero label of the reference, in increasing label order
 * @param predictionOnlyLabels non-zero labels found in the prediction but not in the reference,
 *                             mapped to their voxel counts, in increasing label order
 */
public record LabelMapMetrics(List<LabelMetrics> truthLabels, SortedMap<Integer, Long> predictionOnlyLabels) {

    /** Copies both collections into unmodifiable ones. */
    public LabelMapMetrics {
        truthLabels = List.copyOf(truthLabels);
        predictionOnlyLabels = Collections.unmodifiableSortedMap(new TreeMap<>(predictionOnlyLabels));
    }

    /** Mean Dice over the reference labels; NaN when the reference has no label. */
    public double meanDice() {
        return truthLabels.stream().mapToDouble(LabelMetrics::dice).average().orElse(Double.NaN);
    }

    /** Mean HD95 over the labels where it is defined; NaN when it is defined for none. */
    public double meanHd95OfDefined() {
        return truthLabels.stream().filter(LabelMetrics::distancesDefined).mapToDouble(LabelMetrics::hd95)
                .average().orElse(Double.NaN);
    }

    /** Number of reference labels whose HD95 is undefined (missing from the prediction). */
    public long undefinedHd95Count() {
        return truthLabels.stream().filter(m -> !m.distancesDefined()).count();
    }
}
