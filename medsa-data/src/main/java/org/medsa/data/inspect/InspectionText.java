package org.medsa.data.inspect;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.Locale;
import java.util.Map;

/** The human-readable form of an {@link Inspector} result (what {@code medsa inspect} prints without --json). */
public final class InspectionText {

    /** How many label values to list before summarising the rest. */
    private static final int LABELS_SHOWN = 20;

    private InspectionText() {}

    /**
     * The text form of {@code o}, a result of {@link Inspector#inspect}: the file name, then one
     * aligned line per field.
     */
    public static String format(JsonObject o) {
        StringBuilder sb = new StringBuilder();
        sb.append(o.get("file").getAsString()).append('\n');
        String format = o.get("format").getAsString();
        boolean dicom = format.equals("DICOM");
        if (dicom) {
            sb.append(line("format", "DICOM, " + o.get("transfer_syntax").getAsString() + ", " + o.get("files").getAsInt()
                    + " file(s)"));
            sb.append(line("modality", o.get("modality").getAsString() + ", series " + o.get("series_uid").getAsString()));
        } else {
            sb.append(line("format", format
                    + (o.has("compressed") && o.get("compressed").getAsBoolean() ? ", gzip-compressed" : "")
                + (o.has("byte_order") ? ", " + o.get("byte_order").getAsString() + "-endian" : "")
                + (o.has("color_type") ? ", " + o.get("color_type").getAsString() + ", " + o.get("bit_depth").getAsInt()
                        + "-bit" : "")));
        }
        boolean nifti = format.startsWith("NIfTI") || dicom;
        sb.append(line("shape", join(o.getAsJsonArray("shape"), " x ")
                + (nifti ? " (i, j, k" + (o.getAsJsonArray("shape").size() > 3 ? ", ..." : "") + ")" : "")));
        sb.append(line("dtype", o.get("dtype").getAsString()));
        sb.append(line("spacing", join(o.getAsJsonArray("spacing"), " x ") + (nifti ? " mm" : " (pixels)")));
        if (nifti) {
            sb.append(line("orientation", o.get("orientation").getAsString() + " (affine from " + o.get("affine_source")
                    .getAsString()
                    + ", qform_code " + o.get("qform_code").getAsInt() + ", sform_code " + o.get("sform_code").getAsInt() + ")"));
            JsonArray rows = o.getAsJsonArray("affine");
            for (int r = 0; r < 3; r++) {
                sb.append(line(r == 0 ? "affine" : "", "[" + join(rows.get(r).getAsJsonArray(), ", ") + "]"));
            }
            if (o.get("scl_slope").isJsonPrimitive() && o.get("scl_slope").getAsDouble() != 0
                    && (o.get("scl_slope").getAsDouble() != 1 || o.get("scl_inter").getAsDouble() != 0)) {
                sb.append(line("scaling", "value = " + number(o.get("scl_slope")) + " x stored + " + number(o.get("scl_inter"))));
            }
            String d = o.get("description").getAsString();
            if (!d.isEmpty()) {
                sb.append(line("description", d));
            }
        }
        sb.append(line("values", "min " + number(o.get("min")) + ", max " + number(o.get("max")) + ", sum " + number(o.get("sum"))
                + ", " + String.format(Locale.ROOT, "%,d", o.get("voxel_count").getAsLong()) + " values"
                + (o.get("nan_count").getAsLong() > 0 ? ", " + o.get("nan_count").getAsLong() + " NaN" : "")
                + (o.has("inf_count") ? ", " + o.get("inf_count").getAsLong() + " infinite" : "")));
        if (o.has("labels")) {
            JsonObject labels = o.getAsJsonObject("labels");
            StringBuilder l = new StringBuilder(labels.size() + " distinct integer values:");
            int shown = 0;
            for (Map.Entry<String, JsonElement> e : labels.entrySet()) {
                if (shown++ == LABELS_SHOWN) {
                    l.append(" ... (").append(labels.size() - LABELS_SHOWN).append(" more; use --json)");
                    break;
                }
                // eight values per line, continuing under the value column
                l.append(shown == 1 ? String.format("%n" + " ".repeat(15)) : (shown - 1) % 8 == 0
                        ? String.format(",%n" + " ".repeat(15)) : ", ")
                        .append(e.getKey()).append(": ").append(String.format(Locale.ROOT, "%,d", e.getValue().getAsLong()));
            }
            sb.append(line("labels", l.toString()));
        }
        return sb.toString();
    }

    private static String line(String key, String value) {
        return String.format(Locale.ROOT, "  %-12s %s%n", key, value);
    }

    private static String join(JsonArray a, String sep) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < a.size(); i++) {
            sb.append(i == 0 ? "" : sep).append(number(a.get(i)));
        }
        return sb.toString();
    }

    private static String number(JsonElement e) {
        if (e == null || e.isJsonNull()) {
            return "n/a";
        }
        double v = e.getAsDouble();
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return String.valueOf((long) v);
        }
        return String.format(Locale.ROOT, "%.6g", v);
    }
}
