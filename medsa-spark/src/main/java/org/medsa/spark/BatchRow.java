package org.medsa.spark;

import java.io.Serializable;
import java.util.Locale;
import org.apache.spark.sql.Row;

/**
 * One manifest row: {@code id}, {@code image} (a path or URI), and a prompt given either as
 * {@code box} ("i0,j0,k0,i1,j1,k1"; 2D images "x0,y0,x1,y1") or {@code points}
 * ("i,j,k,label;..."; 2D images "x,y,label;..."), or as {@code truth} + {@code labels} (one box per
 * slice of each label, from the reference mask; labels "1,2" or empty for all), with an optional
 * {@code truth} for metrics.
 *
 * @param id the row's id (also the mask's file name)
 * @param image the image's path or URI
 * @param box the box, or null
 * @param points the points, or null
 * @param truth the reference mask's path or URI, or null
 * @param labels the truth labels to derive boxes for, or null
 */
public record BatchRow(String id, String image, String box, String points, String truth, String labels) implements Serializable {

    /** A row of a manifest Dataset (columns by name; missing optional columns are null). */
    public static BatchRow of(Row r) {
        return new BatchRow(text(r, "id"), text(r, "image"), text(r, "box"), text(r, "points"), text(r, "truth"),
                text(r, "labels"));
    }

    private static String text(Row r, String column) {
        int i;
        try {
            i = r.fieldIndex(column);
        } catch (IllegalArgumentException e) {
            return null;
        }
        Object v = r.get(i);
        if (v == null) {
            return null;
        }
        String s = v.toString().trim();
        return s.isEmpty() ? null : s;
    }

    /** True if the prompt comes from the truth (no box, no points). */
    public boolean promptFromTruth() {
        return box == null && points == null;
    }

    /** The id as a file name, or null when it cannot be one. */
    String safeId() {
        if (id == null || id.length() > 200 || id.startsWith(".") || !id.matches("[A-Za-z0-9._-]+")) {
            return null;
        }
        return id;
    }

    /** For messages. */
    @Override
    public String toString() {
        return String.format(Locale.ROOT, "row %s (%s)", id, image);
    }
}
