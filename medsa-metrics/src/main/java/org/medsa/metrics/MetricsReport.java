package org.medsa.metrics;

import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Text forms of {@link LabelMapMetrics}: the JSON of {@code medsa metrics --json} and a readable table.
 */
public final class MetricsReport {

    private MetricsReport() {}

    /**
     * One JSON object on one line:
     * {@code {"labels": {"<label>": {"dice": d, "iou": i, "hd95": h}, ...}}}, one entry per
     * reference label in increasing label order, keys the label values as strings. {@code hd95}
     * is null when it is undefined (the label is missing from the prediction).
     */
    public static String json(LabelMapMetrics metrics) {
        StringJoiner labels = new StringJoiner(", ", "{", "}");
        for (LabelMetrics m : metrics.truthLabels()) {
            labels.add("\"" + m.label() + "\": {\"dice\": " + number(m.dice()) + ", \"iou\": " + number(m.iou())
                    + ", \"hd95\": " + number(m.hd95()) + "}");
        }
        return "{\"labels\": " + labels + "}";
    }

    /** A JSON number, or null for NaN and infinities (which JSON cannot hold). */
    private static String number(double v) {
        return Double.isFinite(v) ? Double.toString(v) : "null";
    }

    /**
     * A table with one row per reference label (voxel counts, Dice, IoU, HD95 with "-" when
     * undefined), then the mean Dice, the labels whose HD95 is undefined, and the labels found
     * only in the prediction.
     *
     * @param distanceUnit shown in the HD95 column heading, e.g. "mm" or "px"
     */
    public static String table(LabelMapMetrics metrics, String distanceUnit) {
        StringBuilder out = new StringBuilder();
        if (metrics.truthLabels().isEmpty()) {
            out.append("the truth has no non-zero label: nothing to score\n");
        } else {
            String hd95Heading = "hd95 (" + distanceUnit + ")";
            out.append(String.format(Locale.ROOT, "%6s %13s %13s %8s %8s %11s%n", "label", "truth voxels",
                    "pred voxels", "dice", "iou", hd95Heading));
            StringJoiner undefined = new StringJoiner(", ");
            for (LabelMetrics m : metrics.truthLabels()) {
                String hd95 = m.distancesDefined() ? String.format(Locale.ROOT, "%.3f", m.hd95()) : "-";
                out.append(String.format(Locale.ROOT, "%6d %13d %13d %8.4f %8.4f %11s%n", m.label(), m.truthVoxels(),
                        m.predVoxels(), m.dice(), m.iou(), hd95));
                if (!m.distancesDefined()) {
                    undefined.add(Integer.toString(m.label()));
                }
            }
            out.append(String.format(Locale.ROOT, "mean dice over %d label(s): %.4f%n", metrics.truthLabels().size(),
                    metrics.meanDice()));
            if (metrics.undefinedHd95Count() > 0) {
                out.append("hd95 undefined (label missing from the prediction), left out of any mean: ")
                        .append(undefined).append('\n');
            }
        }
        if (!metrics.predictionOnlyLabels().isEmpty()) {
            StringJoiner extra = new StringJoiner(", ");
            for (Map.Entry<Integer, Long> e : metrics.predictionOnlyLabels().entrySet()) {
                extra.add(e.getKey() + " (" + e.getValue() + " voxels)");
            }
            out.append("labels only in the prediction (not scored): ").append(extra).append('\n');
        }
        return out.toString();
    }
}
