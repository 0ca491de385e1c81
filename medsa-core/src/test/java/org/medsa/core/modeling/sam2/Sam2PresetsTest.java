package org.medsa.core.modeling.sam2;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.medsa.core.testing.TestData;

/**
 * The presets build the official models: every preset's state-dict keys and shapes equal those of
 * the official SAM 2.1 model built from its own YAML config (recorded once by
 * {@code testdata/references/sam2_presets/record.py} with the official code), so the official
 * checkpoints load key for key; the totals equal the official README's (38.9 M, 46 M, 80.8 M,
 * 224.4 M), and {@code medsam2} is the tiny model at 512 px.
 */
class Sam2PresetsTest {

    @Test
    void everyPresetHasTheOfficialKeysAndShapes() throws Exception {
        JsonObject ref = JsonParser.parseString(Files.readString(TestData.path("references", "sam2_presets", "presets.json")))
                .getAsJsonObject();
        Map<String, Double> readme = Map.of("sam2.1_hiera_t", 38.9, "sam2.1_hiera_s", 46.0, "sam2.1_hiera_b+", 80.8,
                "sam2.1_hiera_l", 224.4);
        for (String preset : readme.keySet()) {
            JsonObject r = ref.getAsJsonObject(preset);
            Map<String, String> want = new TreeMap<>();
            for (Map.Entry<String, JsonElement> e : r.getAsJsonObject("keys").entrySet()) {
                long[] dims = new long[e.getValue().getAsJsonArray().size()];
                for (int i = 0; i < dims.length; i++) {
                    dims[i] = e.getValue().getAsJsonArray().get(i).getAsLong();
                }
                want.put(e.getKey(), new Shape(dims).toString());
            }
            Map<String, String> got = new TreeMap<>();
            long total = 0;
            for (Map.Entry<String, Shape> e : new Sam2Model(Sam2Config.preset(preset)).stateDictShapes().entrySet()) {
                got.put(e.getKey(), e.getValue().toString());
                total += e.getValue().size();
            }
            assertEquals(want, got, preset + ": state-dict keys and shapes");
            assertEquals(r.get("parameters").getAsLong(), total, preset);
            assertEquals(readme.get(preset), total / 1e6, 0.1, preset + ": the official README's size (rounded there)");
        }
        Sam2Config medsam2 = Sam2Config.preset("medsam2");
        assertEquals(512, medsam2.imageSize);
        assertEquals(new Sam2Model(Sam2Config.preset("sam2.1_hiera_t")).stateDictShapes(),
                new Sam2Model(medsam2).stateDictShapes(), "MedSAM2 is the tiny model");
    }
}
