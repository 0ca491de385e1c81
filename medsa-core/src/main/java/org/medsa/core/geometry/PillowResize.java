package org.medsa.core.geometry;

import org.medsa.core.MedsaException;

/**
 * Pillow's resampling of 8-bit images ({@code Image.resize(size, BILINEAR)} or {@code BICUBIC}),
 * reproduced exactly: a separable filter whose support widens by the scale factor when shrinking
 * (so it antialiases), coefficients in 22-bit fixed point, a horizontal pass rounded to 8 bits,
 * then a vertical pass. SAM's predictor resizes images with the bilinear filter (through
 * torchvision's PIL path) and SAM 2's frame loader with the bicubic one (Pillow's default), so
 * matching them keeps the model input bit-identical.
 */
public final class PillowResize {

    /** Pillow's filters used by the models here. */
    public enum Filter {
        /** The triangle filter, support 1. */
        BILINEAR(1.0),
        /** Keys' cubic convolution with a = −0.5, support 2. */
        BICUBIC(2.0);

        final double support;

        Filter(double support) {
            this.support = support;
        }

        double weight(double x) {
            if (x < 0.0) {
                x = -x;
            }
            if (this == BILINEAR) {
                return x < 1.0 ? 1.0 - x : 0.0;
            }
            double a = -0.5;
            if (x < 1.0) {
                return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
            }
            if (x < 2.0) {
                return (((x - 5) * x + 8) * x - 4) * a;
            }
            return 0.0;
        }
    }

    private static final int PRECISION_BITS = 32 - 8 - 2;

    private PillowResize() {}

    /** Resizes an interleaved (H, W, C) uint8 image to (newH, newW, C) with the bilinear filter. */
    public static byte[] resize(byte[] src, int h, int w, int channels, int newH, int newW) {
        return resize(src, h, w, channels, newH, newW, Filter.BILINEAR);
    }

    /** Resizes an interleaved (H, W, C) uint8 image to (newH, newW, C) with {@code filter}. */
    public static byte[] resize(byte[] src, int h, int w, int channels, int newH, int newW, Filter filter) {
        if (src.length != h * w * channels) {
            throw new MedsaException("image buffer holds " + src.length + " bytes, expected " + h * w * channels);
        }
        if (newH <= 0 || newW <= 0) {
            throw new MedsaException("target size must be positive, got " + newH + "x" + newW);
        }
        boolean horizontal = newW != w;
        boolean vertical = newH != h;
        Coefficients ch = Coefficients.of(w, newW, filter);
        Coefficients cv = Coefficients.of(h, newH, filter);
        byte[] cur = src;
        int curH = h;
        int[] vBounds = cv.bounds.clone();
        if (horizontal) {
            int yFirst = cv.bounds[0];
            int yLast = cv.bounds[(newH - 1) * 2] + cv.bounds[(newH - 1) * 2 + 1];
            for (int i = 0; i < newH; i++) {
                vBounds[i * 2] -= yFirst;
            }
            cur = horizontalPass(src, w, channels, yFirst, yLast - yFirst, newW, ch);
            curH = yLast - yFirst;
        }
        if (vertical) {
            cur = verticalPass(cur, horizontal ? newW : w, channels, newH, vBounds, cv);
        } else if (horizontal && curH != h) {
            throw new IllegalStateException("unexpected row range in a horizontal-only resize");
        }
        return cur == src ? src.clone() : cur;
    }

    private static byte[] horizontalPass(byte[] in, int inW, int c, int yFirst, int rows, int outW, Coefficients k) {
        byte[] out = new byte[rows * outW * c];
        int half = 1 << (PRECISION_BITS - 1);
        for (int y = 0; y < rows; y++) {
            int rowIn = (y + yFirst) * inW * c;
            int rowOut = y * outW * c;
            for (int x = 0; x < outW; x++) {
                int xmin = k.bounds[x * 2];
                int xmax = k.bounds[x * 2 + 1];
                int kOff = x * k.ksize;
                for (int ch = 0; ch < c; ch++) {
                    int ss = half;
                    for (int i = 0; i < xmax; i++) {
                        ss += (in[rowIn + (xmin + i) * c + ch] & 0xff) * k.fixed[kOff + i];
                    }
                    out[rowOut + x * c + ch] = clip8(ss);
                }
            }
        }
        return out;
    }

    private static byte[] verticalPass(byte[] in, int w, int c, int outH, int[] bounds, Coefficients k) {
        byte[] out = new byte[outH * w * c];
        int half = 1 << (PRECISION_BITS - 1);
        for (int y = 0; y < outH; y++) {
            int ymin = bounds[y * 2];
            int ymax = bounds[y * 2 + 1];
            int kOff = y * k.ksize;
            for (int x = 0; x < w; x++) {
                for (int ch = 0; ch < c; ch++) {
                    int ss = half;
                    for (int i = 0; i < ymax; i++) {
                        ss += (in[((ymin + i) * w + x) * c + ch] & 0xff) * k.fixed[kOff + i];
                    }
                    out[(y * w + x) * c + ch] = clip8(ss);
                }
            }
        }
        return out;
    }

    private static byte clip8(int in) {
        if (in >= (1 << PRECISION_BITS << 8)) {
            return (byte) 255;
        }
        if (in <= 0) {
            return 0;
        }
        return (byte) (in >> PRECISION_BITS);
    }

    /** Per output pixel: first input index, tap count and fixed-point weights. */
    private static final class Coefficients {
        int ksize;
        int[] bounds;
        int[] fixed;

        static Coefficients of(int inSize, int outSize, Filter filter) {
            double scale = (double) ((float) inSize - 0f) / outSize;
            double filterScale = Math.max(scale, 1.0);
            double support = filter.support * filterScale;
            int ksize = (int) Math.ceil(support) * 2 + 1;
            Coefficients c = new Coefficients();
            c.ksize = ksize;
            c.bounds = new int[outSize * 2];
            c.fixed = new int[outSize * ksize];
            double[] k = new double[ksize];
            for (int xx = 0; xx < outSize; xx++) {
                double center = (xx + 0.5) * scale;
                double ww = 0.0;
                double ss = 1.0 / filterScale;
                int xmin = (int) (center - support + 0.5);
                if (xmin < 0) {
                    xmin = 0;
                }
                int xmax = (int) (center + support + 0.5);
                if (xmax > inSize) {
                    xmax = inSize;
                }
                xmax -= xmin;
                for (int x = 0; x < xmax; x++) {
                    double w = filter.weight((x + xmin - center + 0.5) * ss);
                    k[x] = w;
                    ww += w;
                }
                for (int x = 0; x < xmax; x++) {
                    if (ww != 0.0) {
                        k[x] /= ww;
                    }
                }
                for (int x = xmax; x < ksize; x++) {
                    k[x] = 0;
                }
                c.bounds[xx * 2] = xmin;
                c.bounds[xx * 2 + 1] = xmax;
                for (int x = 0; x < ksize; x++) {
                    double v = k[x] * (1 << PRECISION_BITS);
                    c.fixed[xx * ksize + x] = (int) (k[x] < 0 ? -0.5 + v : 0.5 + v);
                }
            }
            return c;
        }

    }
}
