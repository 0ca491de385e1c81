package org.medsa.data.transforms;

import java.util.Random;
import org.medsa.core.MedsaException;

/**
 * With probability {@code p}, rotates every slice of the sample by k x 90 degrees in the
 * (rows, cols) plane, k drawn uniformly from {1, 2, 3} (MONAI's {@code RandRotate90} with
 * {@code max_k = 3}). Rotation direction follows numpy's {@code rot90}: counter-clockwise for
 * k = 1, i.e. {@code out[r][c] = in[c][w - 1 - r]}. An odd k swaps height and width of a
 * non-square sample.
 */
public final class RandomRotate90 implements SampleTransform {

    private final double probability;

    /** Rotates with {@code probability} in [0, 1]. */
    public RandomRotate90(double probability) {
        if (!(probability >= 0 && probability <= 1)) {
            throw new MedsaException("probability must be in [0, 1], got " + probability);
        }
        this.probability = probability;
    }

    @Override
    public Sample apply(Sample s, Random rng) {
        if (!(rng.nextDouble() < probability)) {
            return s;
        }
        return rotate(s, 1 + rng.nextInt(3));
    }

    /** The sample rotated by {@code k} quarter turns counter-clockwise (deterministic). */
    public static Sample rotate(Sample s, int k) {
        int turns = ((k % 4) + 4) % 4;
        Sample out = s;
        for (int t = 0; t < turns; t++) {
            out = quarterTurn(out);
        }
        return out;
    }

    private static Sample quarterTurn(Sample s) {
        int d = s.depth(), c = s.channels(), h = s.height(), w = s.width();
        return new Sample(d, c, w, h, turnPlanes(s.image(), d * c, h, w), turnPlanes(s.target(), d, h, w));
    }

    // out has shape (w, h): out[r][col] = in[col][w - 1 - r]
    private static float[] turnPlanes(float[] src, int planes, int h, int w) {
        float[] out = new float[src.length];
        int plane = h * w;
        for (int p = 0; p < planes; p++) {
            int base = p * plane;
            for (int r = 0; r < w; r++) {
                for (int col = 0; col < h; col++) {
                    out[base + r * h + col] = src[base + col * w + (w - 1 - r)];
                }
            }
        }
        return out;
    }
}
