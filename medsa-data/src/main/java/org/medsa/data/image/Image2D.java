package org.medsa.data.image;

import org.medsa.core.MedsaException;

/**
 * A decoded 2D image with its stored sample values (not converted to colour).
 *
 * <p>Samples are interleaved row-major: {@code sample(r, c, ch) = samples[(r * width + c) * channels + ch]}.
 * A palette image has one channel holding palette indices; {@link #palette()} gives the colours.
 * Shapes follow numpy/PIL ({@code np.asarray(Image.open(f))}): (height, width) for one channel,
 * (height, width, channels) otherwise.
 */
public final class Image2D {

    /** How the samples are to be read. */
    public enum ColorType {
        /** One gray sample per pixel. */
        GRAY(1),
        /** Gray and alpha. */
        GRAY_ALPHA(2),
        /** Red, green, blue. */
        RGB(3),
        /** Red, green, blue, alpha. */
        RGBA(4),
        /** One palette index per pixel; the colours are in {@link Image2D#palette()}. */
        PALETTE(1);

        private final int channels;

        ColorType(int channels) {
            this.channels = channels;
        }

        /** Stored samples per pixel. */
        public int channels() {
            return channels;
        }
    }

    private final String format;
    private final ColorType colorType;
    private final int bitDepth;
    private final int height;
    private final int width;
    private final int[] samples;
    private final int[][] palette;

    /** An image over {@code samples} (interleaved, row-major; not copied); a palette image needs {@code palette}. */
    public Image2D(String format, ColorType colorType, int bitDepth, int height, int width, int[] samples, int[][] palette) {
        if (samples.length != height * width * colorType.channels()) {
            throw new MedsaException("image has " + samples.length + " samples, expected "
                    + height + "x" + width + "x" + colorType.channels());
        }
        if (colorType == ColorType.PALETTE && palette == null) {
            throw new MedsaException("a palette image needs its palette");
        }
        this.format = format;
        this.colorType = colorType;
        this.bitDepth = bitDepth;
        this.height = height;
        this.width = width;
        this.samples = samples;
        this.palette = palette;
    }

    /** "PNG", "JPEG", "BMP" or "TIFF". */
    public String format() {
        return format;
    }

    /** How the samples are to be read. */
    public ColorType colorType() {
        return colorType;
    }

    /** Bits per stored sample (1, 2, 4, 8 or 16). */
    public int bitDepth() {
        return bitDepth;
    }

    /** Height in pixels (rows). */
    public int height() {
        return height;
    }

    /** Width in pixels (cols). */
    public int width() {
        return width;
    }

    /** Stored samples per pixel (1 for gray and palette). */
    public int channels() {
        return colorType.channels();
    }

    /** The stored samples (palette indices for a palette image); not a copy. */
    public int[] samples() {
        return samples;
    }

    /** Palette colours as {r, g, b} rows, or null. */
    public int[][] palette() {
        return palette;
    }

    /** "uint8" up to 8 bits per sample, "uint16" above. */
    public String dtype() {
        return bitDepth <= 8 ? "uint8" : "uint16";
    }

    /** (height, width) or (height, width, channels). */
    public int[] shape() {
        return channels() == 1 ? new int[] {height, width} : new int[] {height, width, channels()};
    }

    /** Largest storable sample value, 2^bitDepth - 1. */
    public int maxSampleValue() {
        return (1 << bitDepth) - 1;
    }

    /** True when the encoding is lossy (JPEG), so masks need a threshold instead of exact values. */
    public boolean isLossy() {
        return "JPEG".equals(format);
    }

    /**
     * One label per pixel, row-major: the palette index for palette images, the gray value for
     * gray images, and the rounded mean of R, G, B for colour images (so a mask saved as
     * black/white RGB reads as 0/255). Alpha is ignored.
     */
    public int[] labels() {
        int n = height * width;
        int[] out = new int[n];
        int c = channels();
        boolean color = colorType == ColorType.RGB || colorType == ColorType.RGBA;
        for (int p = 0; p < n; p++) {
            if (color) {
                int s = samples[p * c] + samples[p * c + 1] + samples[p * c + 2];
                out[p] = (s + 1) / 3; // round half up for non-negative sums
            } else {
                out[p] = samples[p * c];
            }
        }
        return out;
    }

    /**
     * The image as (3, height, width) floats on a 0..255 scale: gray repeated to three channels,
     * palette indices looked up, 16-bit samples scaled by 255/65535, alpha dropped.
     */
    public float[] toRgb255() {
        int n = height * width;
        float[] out = new float[3 * n];
        int c = channels();
        double scale = 255.0 / maxSampleValue();
        for (int p = 0; p < n; p++) {
            float r, g, b;
            switch (colorType) {
                case PALETTE: {
                    int[] rgb = palette[samples[p]];
                    r = rgb[0];
                    g = rgb[1];
                    b = rgb[2];
                    break;
                }
                case GRAY:
                case GRAY_ALPHA:
                    r = g = b = (float) (samples[p * c] * scale);
                    break;
                default:
                    r = (float) (samples[p * c] * scale);
                    g = (float) (samples[p * c + 1] * scale);
                    b = (float) (samples[p * c + 2] * scale);
            }
            out[p] = r;
            out[n + p] = g;
            out[2 * n + p] = b;
        }
        return out;
    }
}
