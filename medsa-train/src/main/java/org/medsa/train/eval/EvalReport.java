package org.medsa.train.eval;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.medsa.core.io.AtomicFiles;

/**
 * Per-organ results of an evaluation: for each prompt setting and organ, one row per case
 * (volume or image) with Dice, IoU and HD95, and their summaries. HD95 is undefined (NaN) when
 * the prediction or the truth is empty; such cases are counted and left out of the HD95 mean.
 */
public final class EvalReport {

    /** One case's scores. */
    public record Row(String setting, String organ, String caseId, double dice, double iou, double hd95) {}

    /** Mean scores of a (setting, organ). */
    public record Summary(int cases, double dice, double diceStd, double iou, double hd95, int hd95Undefined) {}

    private final List<Row> rows = new ArrayList<>();
    private final List<String> settings = new ArrayList<>();
    private final List<String> organs = new ArrayList<>();
    private final String units;

    /** An empty report; {@code units} names the HD95 unit ("mm" for volumes, "px" for 2D images). */
    public EvalReport(String units) {
        this.units = units;
    }

    /** Adds a row; settings and organs are listed in the order first seen (thread-safe). */
    public synchronized void add(Row r) {
        rows.add(r);
        if (!settings.contains(r.setting())) {
            settings.add(r.setting());
        }
        if (!organs.contains(r.organ())) {
            organs.add(r.organ());
        }
    }

    /** All rows in the order added (the live list). */
    public List<Row> rows() {
        return rows;
    }

    /** The prompt setting ids, in the order first seen. */
    public List<String> settings() {
        return settings;
    }

    /** The organ names, in the order first seen. */
    public List<String> organs() {
        return organs;
    }

    /** Mean scores of {@code setting} for one organ, or over all organs' rows when {@code organ} is null. */
    public Summary summary(String setting, String organ) {
        List<Row> sel = rows.stream().filter(r -> r.setting().equals(setting) && (organ == null || r.organ().equals(organ)))
                .toList();
        if (sel.isEmpty()) {
            return new Summary(0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, 0);
        }
        double d = sel.stream().mapToDouble(Row::dice).average().orElse(Double.NaN);
        double var = sel.stream().mapToDouble(r -> (r.dice() - d) * (r.dice() - d)).sum() / sel.size();
        double i = sel.stream().mapToDouble(Row::iou).average().orElse(Double.NaN);
        double[] h = sel.stream().mapToDouble(Row::hd95).filter(Double::isFinite).toArray();
        double hd = h.length == 0 ? Double.NaN : Arrays.stream(h).average().orElse(Double.NaN);
        return new Summary(sel.size(), d, Math.sqrt(var), i, hd, sel.size() - h.length);
    }

    /** Mean over organs of the per-organ means (the paper's "mean Dice"). */
    public double meanDice(String setting) {
        return organs.stream().mapToDouble(o -> summary(setting, o).dice()).filter(Double::isFinite).average().orElse(Double.NaN);
    }

    /** A Markdown table: organs by rows, per setting "Dice / IoU / HD95". */
    public String markdown() {
        StringBuilder sb = new StringBuilder();
        sb.append("| organ |");
        for (String s : settings) {
            sb.append(" ").append(s).append(" Dice | IoU | HD95 (").append(units).append(") |");
        }
        sb.append("\n|---|");
        sb.append("---:|---:|---:|".repeat(settings.size()));
        sb.append("\n");
        for (String o : organs) {
            sb.append("| ").append(o).append(" |");
            for (String s : settings) {
                Summary m = summary(s, o);
                sb.append(String.format(Locale.ROOT, " %.4f | %.4f | %s |", m.dice(), m.iou(), hd(m)));
            }
            sb.append("\n");
        }
        sb.append("| **mean** |");
        for (String s : settings) {
            double iou = organs.stream().mapToDouble(o -> summary(s, o).iou()).filter(Double::isFinite).average()
                    .orElse(Double.NaN);
            double h = organs.stream().mapToDouble(o -> summary(s, o).hd95()).filter(Double::isFinite).average()
                    .orElse(Double.NaN);
            sb.append(String.format(Locale.ROOT, " **%.4f** | %.4f | %s |", meanDice(s), iou, Double.isNaN(h) ? "n/a"
                    : String.format(Locale.ROOT, "%.2f", h)));
        }
        sb.append("\n");
        return sb.toString();
    }

    private static String hd(Summary m) {
        if (Double.isNaN(m.hd95())) {
            return "n/a";
        }
        return String.format(Locale.ROOT, "%.2f", m.hd95())
                + (m.hd95Undefined() > 0 ? " (" + m.hd95Undefined() + " undef.)" : "");
    }

    /** One line per (setting, organ, case). */
    public String csv() {
        StringBuilder sb = new StringBuilder("setting,organ,case,dice,iou,hd95\n");
        for (Row r : rows) {
            sb.append(String.format(Locale.ROOT, "%s,%s,%s,%.6f,%.6f,%s%n", r.setting(), r.organ(), r.caseId(), r.dice(), r.iou(),
                    Double.isFinite(r.hd95()) ? String.format(Locale.ROOT, "%.6f", r.hd95()) : ""));
        }
        return sb.toString();
    }

    /**
     * {"units", "settings": {s: {"mean_dice", "organs": {o: {cases, dice, dice_std, iou, hd95, hd95_undefined}}}}, "rows":
     * [...]}.
     */
    public JsonObject json() {
        JsonObject root = new JsonObject();
        root.addProperty("units", units);
        JsonObject ss = new JsonObject();
        for (String s : settings) {
            JsonObject so = new JsonObject();
            so.addProperty("mean_dice", finite(meanDice(s)));
            JsonObject os = new JsonObject();
            for (String o : organs) {
                Summary m = summary(s, o);
                JsonObject j = new JsonObject();
                j.addProperty("cases", m.cases());
                j.addProperty("dice", finite(m.dice()));
                j.addProperty("dice_std", finite(m.diceStd()));
                j.addProperty("iou", finite(m.iou()));
                j.addProperty("hd95", finite(m.hd95()));
                j.addProperty("hd95_undefined", m.hd95Undefined());
                os.add(o, j);
            }
            so.add("organs", os);
            ss.add(s, so);
        }
        root.add("settings", ss);
        JsonArray rs = new JsonArray();
        for (Row r : rows) {
            JsonObject j = new JsonObject();
            j.addProperty("setting", r.setting());
            j.addProperty("organ", r.organ());
            j.addProperty("case", r.caseId());
            j.addProperty("dice", finite(r.dice()));
            j.addProperty("iou", finite(r.iou()));
            j.addProperty("hd95", finite(r.hd95()));
            rs.add(j);
        }
        root.add("rows", rs);
        return root;
    }

    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    /** Writes {@code results.md}, {@code results.csv} and {@code results.json} into {@code dir}. */
    public Map<String, Path> write(Path dir) throws IOException {
        Files.createDirectories(dir);
        Map<String, Path> out = new LinkedHashMap<>();
        out.put("markdown", dir.resolve("results.md"));
        out.put("csv", dir.resolve("results.csv"));
        out.put("json", dir.resolve("results.json"));
        AtomicFiles.writeString(out.get("markdown"), markdown());
        AtomicFiles.writeString(out.get("csv"), csv());
        AtomicFiles.writeString(out.get("json"),
                new GsonBuilder().setPrettyPrinting().serializeNulls().create().toJson(json()));
        return out;
    }
}
