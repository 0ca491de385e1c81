package org.medsa.core.geometry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.medsa.core.testing.Reference;

/** 2D resizing of float planes against Pillow, and by hand. */
class Resize2DTest {

    /** PIL resizes a fixed random float image (mode F) to several sizes with BILINEAR and NEAREST. */
    private static final String PIL_RESIZE = String.join("\n",
            "import json, numpy as np",
            "from PIL import Image",
            "rng = np.random.default_rng(5)",
            "src = (rng.random((13, 17)) * 255).astype(np.float32)",
            "out = dict(src=src.flatten().tolist())",
            "for (h, w) in [(5, 7), (29, 31), (20, 8), (13, 17), (6, 40)]:",
            "    im = Image.fromarray(src, mode='F')",
            "    out['bilinear_%dx%d' % (h, w)] = np.asarray(im.resize((w, h), Image.BILINEAR)).flatten().tolist()",
            "    out['nearest_%dx%d' % (h, w)] = np.asarray(im.resize((w, h), Image.NEAREST)).flatten().tolist()",
            "print(json.dumps(out))");

    @Test
    void matchesPilBilinearAndNearest() {
        JsonObject ref = Reference.json("pil_resize_float", PIL_RESIZE, List.of("numpy", "PIL")).getAsJsonObject();
        float[] src = floats(ref.getAsJsonArray("src"));
        int[][] sizes = {{5, 7}, {29, 31}, {20, 8}, {13, 17}, {6, 40}};
        for (int[] s : sizes) {
            String key = s[0] + "x" + s[1];
            assertArrayEquals(floats(ref.getAsJsonArray("bilinear_" + key)),
                    Resize2D.bilinear(src, 13, 17, s[0], s[1], true), 2e-3f, "bilinear " + key);
            assertArrayEquals(floats(ref.getAsJsonArray("nearest_" + key)),
                    Resize2D.nearest(src, 13, 17, s[0], s[1]), 0f, "nearest " + key);
        }
    }

    @Test
    void plainBilinearWithoutAntialiasByHand() {
        // 1x4 -> 1x2: output centres at input coordinates 0.5 and 2.5
        assertArrayEquals(new float[] {5, 30}, Resize2D.bilinear(new float[] {0, 10, 20, 40}, 1, 4, 1, 2, false), 1e-6f);
        // with antialias the triangle is 2 pixels wide: weights 1/8, 3/8, 3/8, 1/8 around 0.5 (the -1 tap is cut and
        // renormalised)
        float[] aa = Resize2D.bilinear(new float[] {0, 10, 20, 40}, 1, 4, 1, 2, true);
        assertEquals((0.75 * 0 + 0.75 * 10 + 0.25 * 20) / 1.75, aa[0], 1e-5);
        // 2x2 -> 4x4 enlarges with quarter steps and repeated edges
        float[] up = Resize2D.bilinear(new float[] {0, 4, 8, 12}, 2, 2, 4, 4, true);
        assertArrayEquals(new float[] {0, 1, 3, 4}, Arrays.copyOfRange(up, 0, 4), 1e-6f);
        assertArrayEquals(new float[] {8, 9, 11, 12}, Arrays.copyOfRange(up, 12, 16), 1e-6f);
    }

    @Test
    void nearestKeepsLabelValues() {
        int[] labels = {0, 1, 2, 3, 4, 5};
        assertArrayEquals(new int[] {0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5}, Resize2D.nearest(labels, 1, 6, 1, 12));
        assertArrayEquals(new int[] {1, 4}, Resize2D.nearest(labels, 1, 6, 1, 2)); // centres 1.5 and 4.5
    }

    private static float[] floats(JsonArray a) {
        float[] f = new float[a.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = a.get(i).getAsFloat();
        }
        return f;
    }
}
