package org.medsa.train.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.medsa.core.MedsaException;

/**
 * An evaluation prompt: the paper's four settings ({@code 1-point}, {@code 3-points}, {@code
 * bbox-0.5}, {@code bbox-0.75}) and {@code clicks-N}: one click, then N−1 corrective clicks at
 * the interior-most pixel of the larger error region, each round fed the previous low-res
 * logits — all per slice; and {@code 3d-1-point}, per volume: one positive click per organ at
 * the centre of its largest cross-section on its middle slice ({@link
 * org.medsa.data.volume.OrganClicks#centre}), propagated both ways through the volume (SAM 2:
 * tracked with memory), scored on the whole 3D organ.
 */
public record PromptSetting(String id, Kind kind, double value) {

    /** How the prompt is made. */
    public enum Kind {
        /** {@code value} random positive clicks inside the target. */
        POINTS,
        /** A box whose IoU with the target's tight box is {@code value}. */
        BOX_AT_IOU,
        /** One click, then {@code value} − 1 corrective clicks, each round fed the previous logits. */
        ITERATIVE_CLICKS,
        /** One click per organ on one slice of the volume, propagated through it ({@code 3d-1-point}). */
        VOLUME_ONE_POINT;

        /** True for the settings that prompt each slice on its own. */
        public boolean perSlice() {
            return this != VOLUME_ONE_POINT;
        }
    }

    /** The id of the 3D setting. */
    public static final String VOLUME_ONE_POINT_ID = "3d-1-point";

    /** The ids of the paper's four settings. */
    public static final List<String> PAPER = List.of("1-point", "3-points", "bbox-0.5", "bbox-0.75");

    /** The paper's four settings. */
    public static List<PromptSetting> paper() {
        return parseList(String.join(",", PAPER));
    }

    /**
     * A setting by id (any case): the paper's four, {@code k-points} (k 1..100), {@code bbox-t}
     * (0 &lt; t ≤ 1) or {@code clicks-N} (N 1..100).
     *
     * @throws MedsaException for any other id
     */
    public static PromptSetting parse(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        switch (t) {
            case "1-point":
                return new PromptSetting(t, Kind.POINTS, 1);
            case "3-points":
                return new PromptSetting(t, Kind.POINTS, 3);
            case "bbox-0.5":
                return new PromptSetting(t, Kind.BOX_AT_IOU, 0.5);
            case "bbox-0.75":
                return new PromptSetting(t, Kind.BOX_AT_IOU, 0.75);
            case VOLUME_ONE_POINT_ID:
                return new PromptSetting(t, Kind.VOLUME_ONE_POINT, 1);
            default:
                if (t.matches("clicks-[0-9]+")) {
                    int n = Integer.parseInt(t.substring(7));
                    if (n >= 1 && n <= 100) {
                        return new PromptSetting(t, Kind.ITERATIVE_CLICKS, n);
                    }
                }
                if (t.matches("[0-9]+-points")) {
                    int n = Integer.parseInt(t.substring(0, t.indexOf('-')));
                    if (n >= 1 && n <= 100) {
                        return new PromptSetting(t, Kind.POINTS, n);
                    }
                }
                if (t.matches("bbox-(0?\\.[0-9]+|1(\\.0+)?)")) {
                    double v = Double.parseDouble(t.substring(5));
                    if (v > 0 && v <= 1) {
                        return new PromptSetting(t, Kind.BOX_AT_IOU, v);
                    }
                }
                throw new MedsaException("unknown prompt setting '" + s + "' (use 1-point, 3-points, bbox-0.5, bbox-0.75,"
                        + " k-points, bbox-t, clicks-N or 3d-1-point)");
        }
    }

    /** Parses a comma-separated list. */
    public static List<PromptSetting> parseList(String csv) {
        List<PromptSetting> out = new ArrayList<>();
        for (String p : csv.split(",")) {
            if (!p.isBlank()) {
                out.add(parse(p));
            }
        }
        if (out.isEmpty()) {
            throw new MedsaException("--prompts needs at least one setting");
        }
        return out;
    }
}
