package org.medsa.spark;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import java.io.Serializable;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one row gave: {@code status} "ok" or the one-line error, the mask's path relative to the
 * output folder, the seconds spent, and per truth label Dice, IoU and HD95 (null where undefined)
 * when a truth was given.
 *
 * @param id the row's id
 * @param status "ok" or the error
 * @param mask the mask file relative to the output folder, or null
 * @param seconds time spent on the row (when it was computed)
 * @param metrics label → {dice, iou, hd95}; empty without a truth
 */
public record BatchResult(String id, String status, String mask, double seconds, Map<Integer,
        Double[]> metrics) implements Serializable {

    private static final Gson GSON = new Gson();

    /** True for status "ok". */
    public boolean ok() {
        return "ok".equals(status);
    }

    /** An error row. */
    static BatchResult error(String id, String message, double seconds) {
        String line = message == null ? "failed" : message.lines().findFirst().orElse("failed").strip();
        return new BatchResult(id, line, null, seconds, Map.of());
    }

    /** The JSON the per-row record file holds. */
    String toJson(String fingerprint) {
        JsonObject o = new JsonObject();
        o.addProperty("id", id);
        o.addProperty("status", status);
        o.addProperty("mask", mask);
        o.addProperty("seconds", seconds);
        o.addProperty("fingerprint", fingerprint);
        JsonObject m = new JsonObject();
        for (Map.Entry<Integer, Double[]> e : metrics.entrySet()) {
            JsonObject v = new JsonObject();
            v.addProperty("dice", e.getValue()[0]);
            v.addProperty("iou", e.getValue()[1]);
            v.addProperty("hd95", e.getValue()[2]);
            m.add(String.valueOf(e.getKey()), v);
        }
        o.add("metrics", m);
        return GSON.toJson(o);
    }

    /** Reads a record file's JSON; null if {@code fingerprint} differs (the row changed). */
    static BatchResult fromJson(String json, String fingerprint) {
        JsonObject o = GSON.fromJson(json, JsonObject.class);
        if (o == null || !o.has("fingerprint") || !fingerprint.equals(o.get("fingerprint").getAsString()) || !o.has("status")
                || !o.has("metrics")) {
            return null;
        }
        Map<Integer, Double[]> metrics = new TreeMap<>();
        JsonObject m = o.getAsJsonObject("metrics");
        for (String k : m.keySet()) {
            JsonObject v = m.getAsJsonObject(k);
            metrics.put(Integer.parseInt(k), new Double[] {num(v, "dice"), num(v, "iou"), num(v, "hd95")});
        }
        return new BatchResult(o.get("id").getAsString(), o.get("status").getAsString(),
                o.has("mask") && !o.get("mask").isJsonNull() ? o.get("mask").getAsString() : null, o.get("seconds")
                        .getAsDouble(), metrics);
    }

    private static Double num(JsonObject o, String k) {
        return o.has(k) && !o.get(k).isJsonNull() ? o.get(k).getAsDouble() : null;
    }
}
