package org.medsa.core.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.medsa.core.testing.Reference;

/**
 * {@link Ops#resizeBilinear} and {@link Ops#resizeAntialiased} against the PyTorch of the official
 * references (Debian's 1.13, recorded): up, down and mixed, square and not.
 */
class TorchResamplingTest {

    /** torch.nn.functional.interpolate, bilinear, align_corners=False, without and with antialias. */
    private static final String TORCH_INTERPOLATE = String.join("\n",
            "import json, numpy as np, torch, torch.nn.functional as F",
            "rng = np.random.default_rng(11)",
            "src = (rng.standard_normal((2, 13, 17)) * 20).astype(np.float32)",
            "out = dict(src=[float(v) for v in src.flatten()])",
            "t = torch.from_numpy(src)[None]",
            "for (h, w) in [(90, 70), (5, 7), (26, 9), (13, 40), (13, 17)]:",
            "    for aa in [False, True]:",
            "        y = F.interpolate(t, size=(h, w), mode='bilinear', align_corners=False, antialias=aa)",
            "        out['%s_%dx%d' % ('aa' if aa else 'plain', h, w)] = [float(v) for v in y.numpy().flatten()]",
            "print(json.dumps(out))");

    @Test
    void matchesPyTorch() {
        JsonObject ref = Reference.json("torch_interpolate_bilinear", TORCH_INTERPOLATE, List.of("numpy", "torch"))
                .getAsJsonObject();
        float[] src = floats(ref.getAsJsonArray("src"));
        int[][] sizes = {{90, 70}, {5, 7}, {26, 9}, {13, 40}, {13, 17}};
        try (NDManager m = NDManager.newBaseManager()) {
            for (int[] s : sizes) {
                String key = s[0] + "x" + s[1];
                float[] plain = Ops.resizeBilinear(m.create(src, new Shape(1, 2, 13, 17)), s[0], s[1]).toFloatArray();
                float[] aa = Ops.resizeAntialiased(m.create(src, new Shape(1, 2, 13, 17)), s[0], s[1]).toFloatArray();
                close("bilinear " + key, floats(ref.getAsJsonArray("plain_" + key)), plain, src);
                close("antialiased " + key, floats(ref.getAsJsonArray("aa_" + key)), aa, src);
            }
        }
    }

    /**
     * Same weights, float32 sums in another order: within two units in the last place of the
     * largest input (the engine's own bilinear kernel, which places the source pixel in float32,
     * is up to ten of them off here).
     */
    private static void close(String what, float[] want, float[] got, float[] src) {
        float max = 0;
        for (float v : src) {
            max = Math.max(max, Math.abs(v));
        }
        double tol = 2 * Math.ulp(max);
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], tol, what + " [" + i + "]");
        }
    }

    private static float[] floats(JsonArray a) {
        float[] f = new float[a.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = a.get(i).getAsFloat();
        }
        return f;
    }
}
