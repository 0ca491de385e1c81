package org.medsa.core.predictor;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import org.medsa.core.io.pth.TensorData;
import org.medsa.core.testing.Fixtures;

/** Builds the {@link Prompt} of a fixture case from its case.json (original pixels). */
public final class PromptsFromCases {

    private PromptsFromCases() {}

    public static Prompt promptOf(JsonObject cj, String fixture, String name) {
        Prompt p = new Prompt();
        JsonElement pts = cj.get("point_coords_original_xy");
        if (pts != null && !pts.isJsonNull()) {
            JsonArray labels = cj.getAsJsonArray("point_labels");
            JsonArray a = pts.getAsJsonArray();
            for (int i = 0; i < a.size(); i++) {
                JsonArray xy = a.get(i).getAsJsonArray();
                p.point(xy.get(0).getAsDouble(), xy.get(1).getAsDouble(), labels.get(i).getAsInt());
            }
        }
        JsonElement box = cj.get("box_original_xyxy");
        if (box != null && !box.isJsonNull()) {
            JsonArray b = box.getAsJsonArray();
            p.box(b.get(0).getAsDouble(), b.get(1).getAsDouble(), b.get(2).getAsDouble(), b.get(3).getAsDouble());
        }
        if (Files.exists(Fixtures.path(fixture, "cases", name, "mask_input.npy"))) {
            TensorData mask = Fixtures.npy(fixture, "cases", name, "mask_input.npy");
            long[] s = mask.shape();
            p.maskInput(mask.toFloatArray(), (int) s[2], (int) s[3]);
        }
        return p;
    }

}
