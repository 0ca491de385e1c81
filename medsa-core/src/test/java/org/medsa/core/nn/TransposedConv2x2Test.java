package org.medsa.core.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

/**
 * ConvTranspose2d(kernel 2, stride 2) by its definition, computed by hand here:
 * y[o, 2h+i, 2w+j] = Σ_c x[c, h, w]·W[c, o, i, j] + bias[o], in the NCHW form and in the unshuffled
 * channel-last form the mask decoder uses.
 */
class TransposedConv2x2Test {

    @Test
    void bothFormsFollowTheDefinition() {
        int in = 2;
        int out = 3;
        int h = 2;
        int w = 3;
        float[] x = new float[in * h * w];
        for (int i = 0; i < x.length; i++) {
            x[i] = (i % 5) - 1.5f * (i % 2);
        }
        float[] wt = new float[in * out * 4];
        for (int i = 0; i < wt.length; i++) {
            wt[i] = 0.25f * ((i * 7) % 11) - 1;
        }
        float[] bias = {0.5f, -1f, 2f};
        float[] want = new float[out * 2 * h * 2 * w]; // (out, 2h, 2w)
        for (int o = 0; o < out; o++) {
            for (int y = 0; y < 2 * h; y++) {
                for (int z = 0; z < 2 * w; z++) {
                    float sum = bias[o];
                    for (int c = 0; c < in; c++) {
                        sum += x[(c * h + y / 2) * w + z / 2] * wt[((c * out + o) * 2 + y % 2) * 2 + z % 2];
                    }
                    want[(o * 2 * h + y) * 2 * w + z] = sum;
                }
            }
        }
        try (NDManager m = NDManager.newBaseManager()) {
            TransposedConv2x2 layer = new TransposedConv2x2(in, out);
            layer.initialize(m, DataType.FLOAT32, new Shape(1, in, h, w));
            layer.getParameters().get("weight").getArray().set(wt);
            layer.getParameters().get("bias").getArray().set(bias);
            NDArray input = m.create(x, new Shape(1, in, h, w));
            float[] nchw = layer.forward(null, new NDList(input), false).singletonOrThrow().toFloatArray();
            assertArrayEquals(want, nchw, 1e-5f);
            // (1, h, w, i, j, out) → (out, 2h, 2w)
            NDArray pixels = layer.forwardPixels(null, input.transpose(0, 2, 3, 1), false);
            float[] shuffled = pixels.transpose(0, 5, 1, 3, 2, 4).reshape(1, out, 2 * h, 2 * w).toFloatArray();
            assertArrayEquals(want, shuffled, 1e-5f);
        }
    }
}
