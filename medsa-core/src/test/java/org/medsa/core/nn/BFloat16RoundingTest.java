package org.medsa.core.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.medsa.core.testing.Reference;

/**
 * {@link Precision#roundToBfloat16} against PyTorch's {@code x.to(torch.bfloat16)} (recorded), and
 * against the bit definition (round the upper 16 bits to nearest, ties to even) on a million
 * values of every magnitude, ties, subnormals, zeros and non-finite values.
 */
class BFloat16RoundingTest {

    /** PyTorch rounds a fixed set of float32 values to bfloat16 and back. */
    private static final String TORCH_BF16 = String.join("\n",
            "import json, numpy as np, torch",
            "rng = np.random.default_rng(7)",
            "x = np.concatenate([rng.standard_normal(2000) * 10.0 ** rng.integers(-30, 30, 2000),",
            "                    np.array([0.0, -0.0, 1.0, 1.00390625, 1.01171875, 2.0 ** -126, 2.0 ** -130, 1.5e-40, -3e-39,",
            "                              3.3895e38, 65504.0, -0.0078125])]).astype(np.float32)",
            "y = torch.from_numpy(x).to(torch.bfloat16).float().numpy()",
            "print(json.dumps(dict(x=[float(v) for v in x], y=[float(v) for v in y])))");

    @Test
    void matchesPyTorch() {
        JsonObject ref = Reference.json("torch_bfloat16", TORCH_BF16, List.of("numpy", "torch")).getAsJsonObject();
        float[] x = floats(ref.getAsJsonArray("x"));
        float[] y = floats(ref.getAsJsonArray("y"));
        float[] got = round(x);
        for (int i = 0; i < x.length; i++) {
            assertEquals(Float.floatToRawIntBits(y[i]), Float.floatToRawIntBits(got[i]), "bfloat16 of " + x[i]);
        }
    }

    @Test
    void matchesTheBitDefinition() {
        Random r = new Random(3);
        float[] x = new float[1 << 20];
        for (int i = 0; i < x.length; i++) {
            int kind = i % 4;
            if (kind == 0) {
                x[i] = Float.intBitsToFloat(r.nextInt()); // any bit pattern
            } else if (kind == 1) {
                x[i] = Float.intBitsToFloat((r.nextInt() & 0xffff0000) | 0x8000); // an exact tie
            } else if (kind == 2) {
                x[i] = Float.intBitsToFloat(r.nextInt() & 0x807fffff); // subnormal or zero
            } else {
                x[i] = (float) r.nextGaussian();
            }
        }
        float[] got = round(x);
        for (int i = 0; i < x.length; i++) {
            float want = bitDefinition(x[i]);
            if (Float.isNaN(want)) {
                assertEquals(true, Float.isNaN(got[i]), "NaN stays NaN");
            } else {
                assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(got[i]), "bfloat16 of " + x[i] + " ("
                        + Integer.toHexString(Float.floatToRawIntBits(x[i])) + ")");
            }
        }
    }

    /** Round to nearest even on the upper 16 bits; the exponent carries, up to infinity. */
    private static float bitDefinition(float v) {
        if (Float.isNaN(v)) {
            return Float.NaN;
        }
        int b = Float.floatToRawIntBits(v);
        int rounded = b + 0x7fff + ((b >>> 16) & 1);
        return Float.intBitsToFloat(rounded & 0xffff0000);
    }

    private static float[] round(float[] x) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray a = m.create(x, new Shape(x.length));
            return Precision.roundToBfloat16(a).toFloatArray();
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
