package org.medsa.data.transforms;

import java.util.Random;
import org.medsa.core.MedsaException;

/** With probability {@code p}, reverses image and target along one axis of the sample. */
public final class RandomFlip implements SampleTransform {

    /** Which axis of a (depth, channels, rows, cols) sample to reverse. */
    public enum Axis {
        /** Reverse the order of the slices. */
        DEPTH,
        /** Reverse the rows (upside down). */
        ROWS,
        /** Reverse the columns (left-right). */
        COLS
    }

    private final Axis axis;
    private final double probability;

    /** Flips along {@code axis} with {@code probability} in [0, 1]. */
    public RandomFlip(Axis axis, double probability) {
        if (!(probability >= 0 && probability <= 1)) {
            throw new MedsaException("probability must be in [0, 1], got " + probability);
        }
        this.axis = axis;
        this.probability = probability;
    }

    @Override
    public Sample apply(Sample s, Random rng) {
        if (!(rng.nextDouble() < probability)) {
            return s;
        }
        return flip(s, axis);
    }

    /** The sample reversed along {@code axis} (deterministic). */
    public static Sample flip(Sample s, Axis axis) {
        int d = s.depth(), c = s.channels(), h = s.height(), w = s.width();
        float[] img = flipStack(s.image(), d, c, h, w, axis);
        float[] tgt = flipStack(s.target(), d, 1, h, w, axis);
        return new Sample(d, c, h, w, img, tgt);
    }

    private static float[] flipStack(float[] src, int d, int c, int h, int w, Axis axis) {
        float[] out = new float[src.length];
        int plane = h * w;
        for (int z = 0; z < d; z++) {
            for (int ch = 0; ch < c; ch++) {
                int srcPlane = ((axis == Axis.DEPTH ? d - 1 - z : z) * c + ch) * plane;
                int dstPlane = (z * c + ch) * plane;
                for (int r = 0; r < h; r++) {
                    int sr = axis == Axis.ROWS ? h - 1 - r : r;
                    for (int col = 0; col < w; col++) {
                        int sc = axis == Axis.COLS ? w - 1 - col : col;
                        out[dstPlane + r * w + col] = src[srcPlane + sr * w + sc];
                    }
                }
            }
        }
        return out;
    }
}
