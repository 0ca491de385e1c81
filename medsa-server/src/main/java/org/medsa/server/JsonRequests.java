package org.medsa.server;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import io.javalin.http.Context;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.medsa.core.MedsaException;
import org.medsa.inference.Propagation;

/**
 * Typed requests of the JSON API, parsed and checked field by field: a missing, mistyped or
 * non-finite value is refused in one line that names the field (400).
 */
final class JsonRequests {

    private static final Pattern WHERE = Pattern.compile("line \\d+ column \\d+");

    /** {@code POST /api/volumes/{id}/segment}. */
    record Segment(int axis, int index, int label, List<double[]> points, double[] box, boolean usePrevious, Boolean multimask) {
        static Segment of(JsonObject b) {
            List<double[]> points = new ArrayList<>();
            if (present(b, "points")) {
                JsonElement pts = b.get("points");
                if (!pts.isJsonArray()) {
                    throw new MedsaException("\"points\" must be a list");
                }
                for (JsonElement p : pts.getAsJsonArray()) {
                    points.add(numbers(p, "points[" + points.size() + "]"));
                }
            }
            boolean previous = false;
            if (present(b, "mask_input")) {
                JsonElement m = b.get("mask_input");
                if (!m.isJsonPrimitive() || !m.getAsString().equals("previous")) {
                    throw new MedsaException("mask_input must be \"previous\" or null, got " + m);
                }
                previous = true;
            }
            Boolean multimask = null;
            if (present(b, "multimask")) {
                if (!b.get("multimask").isJsonPrimitive() || !b.get("multimask").getAsJsonPrimitive().isBoolean()) {
                    throw new MedsaException("multimask must be true or false");
                }
                multimask = b.get("multimask").getAsBoolean();
            }
            return new Segment(whole(b, "axis", 2), whole(b, "index"), whole(b, "label", 1), points,
                    present(b, "box") ? numbers(b.get("box"), "box") : null, previous, multimask);
        }
    }

    /** {@code POST /api/volumes/{id}/propagate}. */
    record Propagate(int axis, int from, int label, Propagation.Direction direction, int maxSlices, double minIou) {
        static Propagate of(JsonObject b) {
            Propagation.Direction d = present(b, "direction") ? Propagation.Direction.parse(b.get("direction").getAsString())
                    : Propagation.Direction.BOTH;
            double minIou = 0;
            if (present(b, "min_iou")) {
                JsonArray one = new JsonArray();
                one.add(b.get("min_iou"));
                minIou = numbers(one, "min_iou")[0];
            }
            return new Propagate(whole(b, "axis", 2), whole(b, "from"), whole(b, "label", 1), d,
                    whole(b, "max_slices", Integer.MAX_VALUE), minIou);
        }
    }

    private JsonRequests() {}

    /**
     * The request body as a JSON object.
     *
     * @throws ApiException 413 for a body over the server's limit
     * @throws MedsaException for a missing, malformed or non-object body
     */
    static JsonObject body(Context ctx) {
        String text;
        try {
            text = ctx.body();
        } catch (RuntimeException e) {
            throw new ApiException(413, "request body too large (" + firstLine(e.getMessage()) + ")");
        }
        if (text == null || text.isBlank()) {
            throw new MedsaException("the request needs a JSON object body");
        }
        try {
            JsonElement e = JsonParser.parseString(text);
            if (!e.isJsonObject()) {
                throw new MedsaException("the request body must be a JSON object");
            }
            return e.getAsJsonObject();
        } catch (JsonParseException e) {
            Matcher where = WHERE.matcher(String.valueOf(e.getMessage()));
            throw new MedsaException("the request body is not valid JSON" + (where.find() ? " (at " + where.group() + ")" : ""));
        }
    }

    static boolean present(JsonObject o, String key) {
        return o.has(key) && !o.get(key).isJsonNull();
    }

    /** A required string field. */
    static String string(JsonObject o, String key) {
        if (!present(o, key)) {
            throw new MedsaException("\"" + key + "\" is missing");
        }
        if (!o.get(key).isJsonPrimitive() || !o.get(key).getAsJsonPrimitive().isString()) {
            throw new MedsaException("\"" + key + "\" must be a string");
        }
        return o.get(key).getAsString();
    }

    /** A required whole-number field. */
    static int whole(JsonObject o, String key) {
        if (!present(o, key)) {
            throw new MedsaException("\"" + key + "\" is missing");
        }
        JsonElement e = o.get(key);
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            throw new MedsaException("\"" + key + "\" must be a whole number, got " + e);
        }
        double d = e.getAsDouble();
        if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
            throw new MedsaException("\"" + key + "\" must be a whole number, got " + e);
        }
        return (int) d;
    }

    /** An optional whole-number field. */
    static int whole(JsonObject o, String key, int absent) {
        return present(o, key) ? whole(o, key) : absent;
    }

    /** A list of finite numbers. */
    static double[] numbers(JsonElement e, String what) {
        if (!e.isJsonArray()) {
            throw new MedsaException(what + " must be a list of numbers, got " + e);
        }
        JsonArray a = e.getAsJsonArray();
        double[] d = new double[a.size()];
        for (int i = 0; i < d.length; i++) {
            JsonElement x = a.get(i);
            if (x.isJsonPrimitive() && x.getAsJsonPrimitive().isString()) {
                String t = x.getAsString();
                if (t.equalsIgnoreCase("nan") || t.toLowerCase(Locale.ROOT).contains("infinity")) {
                    throw new MedsaException(what + " holds a non-finite number (" + t + ")");
                }
            }
            if (!x.isJsonPrimitive() || !x.getAsJsonPrimitive().isNumber()) {
                throw new MedsaException(what + " must be a list of numbers, got " + e);
            }
            d[i] = x.getAsDouble();
            if (!Double.isFinite(d[i])) {
                throw new MedsaException(what + " holds a non-finite number");
            }
        }
        return d;
    }

    /** The first line of a message, trimmed ("" for none). */
    static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("").strip();
    }
}
