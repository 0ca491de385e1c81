package org.medsa.data.transforms;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import org.junit.jupiter.api.Test;
import org.medsa.data.testutil.Python;

/** 2D resizing against PIL, and the SAM input conventions by hand. */
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
        JsonObject ref = Python.json(PIL_RESIZE).getAsJsonObject();
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
        // with antialias the triangle is 2 pixels wide: weights 1/8, 3/8, 3/8, 1/8 around 0.5 (the -1 tap is cut and renormalised)
        float[] aa = Resize2D.bilinear(new float[] {0, 10, 20, 40}, 1, 4, 1, 2, true);
        assertEquals((0.75 * 0 + 0.75 * 10 + 0.25 * 20) / 1.75, aa[0], 1e-5);
        // 2x2 -> 4x4 enlarges with quarter steps and repeated edges
        float[] up = Resize2D.bilinear(new float[] {0, 4, 8, 12}, 2, 2, 4, 4, true);
        assertArrayEquals(new float[] {0, 1, 3, 4}, java.util.Arrays.copyOfRange(up, 0, 4), 1e-6f);
        assertArrayEquals(new float[] {8, 9, 11, 12}, java.util.Arrays.copyOfRange(up, 12, 16), 1e-6f);
    }

    @Test
    void nearestKeepsLabelValues() {
        int[] labels = {0, 1, 2, 3, 4, 5};
        assertArrayEquals(new int[] {0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5}, Resize2D.nearest(labels, 1, 6, 1, 12));
        assertArrayEquals(new int[] {1, 4}, Resize2D.nearest(labels, 1, 6, 1, 2)); // centres 1.5 and 4.5
    }

    @Test
    void samModeResizesLongestSideNormalisesAndPads() {
        int h = 300, w = 200;
        float[] img = new float[3 * h * w];
        java.util.Arrays.fill(img, 0, h * w, 255f);
        java.util.Arrays.fill(img, h * w, 2 * h * w, 100f);
        java.util.Arrays.fill(img, 2 * h * w, 3 * h * w, 0f);
        SamInputPreprocessor sam = new SamInputPreprocessor(SamInputPreprocessor.Mode.SAM, 1024);
        SamInputPreprocessor.SamInput in = sam.prepare(img, h, w);
        assertEquals(1024, in.resizedHeight());
        assertEquals(683, in.resizedWidth()); // int(200 * 1024 / 300 + 0.5), SAM's get_preprocess_shape
        float[] d = in.data();
        int plane = 1024 * 1024;
        assertEquals((255 - 123.675) / 58.395, d[500 * 1024 + 600], 1e-5);
        assertEquals((100 - 116.28) / 57.12, d[plane + 1023 * 1024 + 682], 1e-5);
        assertEquals((0 - 103.53) / 57.375, d[2 * plane], 1e-5);
        assertEquals(0, d[500 * 1024 + 683], 0); // padding right of the image, after normalising
        assertEquals(0, d[2 * plane + 1023 * 1024 + 1023], 0);
        // a constant mask maps back to a constant mask of the original size
        float[] mask = new float[256 * 256];
        java.util.Arrays.fill(mask, 3f);
        float[] back = sam.restoreMask(mask, 256, 256, in);
        assertEquals(h * w, back.length);
        assertEquals(3f, back[h * w - 1], 1e-6f);
    }

    @Test
    void otherCheckpointConventions() {
        int h = 4, w = 2;
        float[] img = new float[3 * h * w];
        for (int i = 0; i < img.length; i++) {
            img[i] = 255f * (i % (h * w)) / (h * w - 1);
        }
        float[] msa = new SamInputPreprocessor(SamInputPreprocessor.Mode.MSA_COMPAT, 8).prepare(img, h, w).data();
        assertEquals(3 * 64, msa.length);
        assertEquals(0f, msa[0], 1e-6f); // top-left stays the darkest, in [0, 1]
        assertEquals(1f, msa[63], 1e-6f);
        float[] medsam = new SamInputPreprocessor(SamInputPreprocessor.Mode.MEDSAM, 8).prepare(img, h, w).data();
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        for (float v : medsam) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        assertEquals(0f, min, 1e-6f);
        assertEquals(1f, max, 1e-6f);
    }

    private static float[] floats(JsonArray a) {
        float[] f = new float[a.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = a.get(i).getAsFloat();
        }
        return f;
    }
}
