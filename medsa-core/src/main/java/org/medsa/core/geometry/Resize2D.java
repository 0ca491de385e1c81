package org.medsa.core.geometry;

import org.medsa.core.MedsaException;

/**
 * Resizing of single 2D planes stored row-major (index = row * width + col).
 *
 * <p>Both methods use pixel-centre alignment (output pixel o covers input coordinates
 * {@code [o * s, (o + 1) * s)} with {@code s = in / out}), as PIL and {@code align_corners=False}
 * do.
 *
 * <ul>
 *   <li>{@link #bilinear}: a separable triangle filter. When enlarging it is plain bilinear
 *       interpolation with edge pixels repeated. When shrinking with {@code antialias} the filter
 *       is widened by the shrink factor (as PIL's {@code BILINEAR}), so every input pixel
 *       contributes; without it, it is plain bilinear sampling (as {@code torch} without antialias).
 *   <li>{@link #nearest}: the input pixel whose cell contains the output pixel's centre; values are
 *       copied, never mixed, so it is the method for label maps.
 * </ul>
 */
public final class Resize2D {

    private Resize2D() {}

    /** Bilinear resize of one plane (see class comment). */
    public static float[] bilinear(float[] src, int height, int width, int outHeight, int outWidth, boolean antialias) {
        check(src, height, width, outHeight, outWidth);
        if (height == outHeight && width == outWidth) {
            return src.clone();
        }
        Filter horizontal = new Filter(width, outWidth, antialias);
        Filter vertical = new Filter(height, outHeight, antialias);
        float[] tmp = new float[height * outWidth];
        for (int r = 0; r < height; r++) {
            int rowIn = r * width;
            int rowOut = r * outWidth;
            for (int o = 0; o < outWidth; o++) {
                int start = horizontal.start[o];
                double[] w = horizontal.weights[o];
                double s = 0;
                for (int t = 0; t < w.length; t++) {
                    s += w[t] * src[rowIn + start + t];
                }
                tmp[rowOut + o] = (float) s;
            }
        }
        float[] out = new float[outHeight * outWidth];
        for (int o = 0; o < outHeight; o++) {
            int start = vertical.start[o];
            double[] w = vertical.weights[o];
            int rowOut = o * outWidth;
            // tap-major so that the inner loop runs over contiguous columns (vectorisable)
            for (int t = 0; t < w.length; t++) {
                float wt = (float) w[t];
                int rowIn = (start + t) * outWidth;
                for (int c = 0; c < outWidth; c++) {
                    out[rowOut + c] += wt * tmp[rowIn + c];
                }
            }
        }
        return out;
    }

    /** Nearest-neighbour resize of one float plane. */
    public static float[] nearest(float[] src, int height, int width, int outHeight, int outWidth) {
        check(src, height, width, outHeight, outWidth);
        int[] rows = nearestIndex(height, outHeight);
        int[] cols = nearestIndex(width, outWidth);
        float[] out = new float[outHeight * outWidth];
        for (int r = 0; r < outHeight; r++) {
            int base = rows[r] * width;
            for (int c = 0; c < outWidth; c++) {
                out[r * outWidth + c] = src[base + cols[c]];
            }
        }
        return out;
    }

    /** Nearest-neighbour resize of one integer plane (labels). */
    public static int[] nearest(int[] src, int height, int width, int outHeight, int outWidth) {
        if (src.length != height * width || outHeight <= 0 || outWidth <= 0) {
            throw new MedsaException("bad plane size " + height + "x" + width + " -> " + outHeight + "x" + outWidth);
        }
        int[] rows = nearestIndex(height, outHeight);
        int[] cols = nearestIndex(width, outWidth);
        int[] out = new int[outHeight * outWidth];
        for (int r = 0; r < outHeight; r++) {
            int base = rows[r] * width;
            for (int c = 0; c < outWidth; c++) {
                out[r * outWidth + c] = src[base + cols[c]];
            }
        }
        return out;
    }

    /** For each output index, the input index whose cell holds the output centre. */
    static int[] nearestIndex(int in, int out) {
        double scale = (double) in / out;
        int[] idx = new int[out];
        for (int o = 0; o < out; o++) {
            idx[o] = Math.min((int) Math.floor((o + 0.5) * scale), in - 1);
        }
        return idx;
    }

    private static void check(float[] src, int height, int width, int outHeight, int outWidth) {
        if (src.length != height * width) {
            throw new MedsaException("plane has " + src.length + " values, expected " + height + "x" + width);
        }
        if (outHeight <= 0 || outWidth <= 0) {
            throw new MedsaException("output size must be positive: " + outHeight + "x" + outWidth);
        }
    }

    /** Per output index: first input index and normalised triangle weights. */
    private static final class Filter {
        final int[] start;
        final double[][] weights;

        Filter(int in, int out, boolean antialias) {
            double scale = (double) in / out;
            double filterScale = antialias ? Math.max(scale, 1.0) : 1.0;
            double support = filterScale; // the triangle's half-width, 1 input pixel when not widened
            start = new int[out];
            weights = new double[out][];
            for (int o = 0; o < out; o++) {
                double centre = (o + 0.5) * scale;
                int lo = Math.max((int) Math.floor(centre - support + 0.5), 0);
                int hi = Math.min((int) Math.floor(centre + support + 0.5), in);
                if (hi <= lo) { // centre beyond the last pixel centre: take the edge pixel
                    lo = Math.min(lo, in - 1);
                    hi = lo + 1;
                }
                double[] w = new double[hi - lo];
                double sum = 0;
                for (int j = lo; j < hi; j++) {
                    double x = (j + 0.5 - centre) / filterScale;
                    double t = Math.max(0.0, 1.0 - Math.abs(x));
                    w[j - lo] = t;
                    sum += t;
                }
                if (sum == 0) { // cannot happen for in >= 1, but never divide by zero
                    w[0] = 1;
                    sum = 1;
                }
                for (int t = 0; t < w.length; t++) {
                    w[t] /= sum;
                }
                start[o] = lo;
                weights[o] = w;
            }
        }
    }
}
