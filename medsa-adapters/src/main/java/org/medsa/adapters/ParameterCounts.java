package org.medsa.adapters;

import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Total and trainable parameter counts of a model, per part (SAM: image_encoder, prompt_encoder,
 * mask_decoder; SAM 2: image_encoder, memory_attention, memory_encoder, sam_prompt_encoder,
 * sam_mask_decoder, …). Buffers (SAM's Fourier matrix) are not parameters and are not counted. Works on
 * a model whose weights were never allocated.
 */
public record ParameterCounts(long total, long trainable, Map<String, long[]> parts) {

    /** Counts for a Med-SA model (SAM or SAM 2) under its freezing rule; top-level parameters count as part "other". */
    public static ParameterCounts of(AdaptedModel model) {
        Set<String> buffers = model.bufferNames();
        Map<String, long[]> parts = new LinkedHashMap<>();
        long total = 0;
        long trainable = 0;
        for (Map.Entry<String, Shape> e : model.stateDictShapes().entrySet()) {
            String name = e.getKey();
            if (buffers.contains(name)) {
                continue;
            }
            long n = e.getValue().size();
            String part = name.indexOf('.') > 0 ? name.substring(0, name.indexOf('.')) : "other";
            long[] c = parts.computeIfAbsent(part, k -> new long[3]);
            c[0] += n;
            total += n;
            if (model.isTrainable(name)) {
                c[1] += n;
                trainable += n;
            }
            if (AdaptedModel.isAdapter(name)) {
                c[2] += n;
            }
        }
        return new ParameterCounts(total, trainable, parts);
    }

    /** {@code {"total": N, "trainable": N, "parts": {"image_encoder": {"total", "trainable", "adapters"}, …}}}. */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("total", total);
        o.addProperty("trainable", trainable);
        JsonObject p = new JsonObject();
        parts.forEach((k, c) -> {
            JsonObject j = new JsonObject();
            j.addProperty("total", c[0]);
            j.addProperty("trainable", c[1]);
            j.addProperty("adapters", c[2]);
            p.add(k, j);
        });
        o.add("parts", p);
        return o;
    }
}
