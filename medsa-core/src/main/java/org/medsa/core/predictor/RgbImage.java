package org.medsa.core.predictor;

import java.awt.image.BufferedImage;
import java.util.Arrays;
import org.medsa.core.MedsaException;
import org.medsa.core.io.pth.TensorData;
import org.medsa.core.io.pth.TorchDType;

/** An 8-bit RGB image, interleaved (H, W, 3), as SAM takes it. */
public record RgbImage(int height, int width, byte[] hwc) {

    /** Checks that {@code hwc} holds exactly {@code height * width * 3} bytes. */
    public RgbImage {
        if (height <= 0 || width <= 0 || hwc.length != height * width * 3) {
            throw new MedsaException("RGB image of " + height + "x" + width + " needs "
                    + (long) height * width * 3 + " bytes, got " + hwc.length);
        }
    }

    /** From a uint8 array of (H, W, 3) RGB or (H, W) grayscale (replicated to 3 channels). */
    public static RgbImage fromNpy(TensorData t, String name) {
        long[] s = t.shape();
        if (t.dtype() != TorchDType.UINT8) {
            throw new MedsaException(name + ": image .npy must be uint8, got " + t.dtype().typeName());
        }
        if ((s.length == 3 && s[2] == 3) || s.length == 2) {
            if (s[0] <= 0 || s[1] <= 0 || s[0] > 65536 || s[1] > 65536) {
                throw new MedsaException(name + ": an image needs 1 to 65536 rows and columns, got shape "
                        + Arrays.toString(s));
            }
        }
        if (s.length == 3 && s[2] == 3) {
            return new RgbImage((int) s[0], (int) s[1], t.bytes().clone());
        }
        if (s.length == 2) {
            byte[] g = t.bytes();
            byte[] rgb = new byte[g.length * 3];
            for (int i = 0; i < g.length; i++) {
                rgb[3 * i] = g[i];
                rgb[3 * i + 1] = g[i];
                rgb[3 * i + 2] = g[i];
            }
            return new RgbImage((int) s[0], (int) s[1], rgb);
        }
        throw new MedsaException(name + ": image .npy must be (H, W, 3) RGB or (H, W) grayscale, got shape "
                + Arrays.toString(s));
    }

    /**
     * A gray image from values in [0, 1] (clamped), (H, W) row-major, replicated to RGB: each value
     * v becomes the byte {@code round(v * 255)}, as {@link #fromPlanes} does on the 0–255 scale.
     *
     * @throws MedsaException if a value is NaN or infinite
     */
    public static RgbImage fromGray(float[] values, int height, int width) {
        checkSize(values.length, 1, height, width);
        byte[] rgb = new byte[values.length * 3];
        for (int i = 0; i < values.length; i++) {
            byte v = quantise(values[i] * 255f, i);
            rgb[3 * i] = v;
            rgb[3 * i + 1] = v;
            rgb[3 * i + 2] = v;
        }
        return new RgbImage(height, width, rgb);
    }

    /**
     * An image from planes on a 0–255 scale (a dataset sample's layout): (1, H, W) gray, replicated
     * to RGB, or (3, H, W) RGB; values are clamped to 0..255 and rounded to bytes.
     *
     * @throws MedsaException if a value is NaN or infinite
     */
    public static RgbImage fromPlanes(float[] chw, int channels, int height, int width) {
        if (channels != 1 && channels != 3) {
            throw new MedsaException("an image has 1 or 3 channels, got " + channels);
        }
        checkSize(chw.length, channels, height, width);
        int plane = height * width;
        byte[] rgb = new byte[plane * 3];
        for (int i = 0; i < plane; i++) {
            for (int c = 0; c < 3; c++) {
                int src = channels == 1 ? i : c * plane + i;
                rgb[3 * i + c] = quantise(chw[src], src);
            }
        }
        return new RgbImage(height, width, rgb);
    }

    private static void checkSize(int values, int channels, int height, int width) {
        if (height <= 0 || width <= 0 || (long) channels * height * width != values) {
            throw new MedsaException("an image of " + channels + "x" + height + "x" + width + " needs "
                    + (long) channels * height * width + " values, got " + values);
        }
    }

    /** The one quantisation of intensities to 8 bits (0..255 scale, clamped, rounded half up). */
    private static byte quantise(float v, int index) {
        if (!Float.isFinite(v)) {
            throw new MedsaException("image value " + index + " is " + v + ": NaN or infinite intensities cannot be segmented");
        }
        return (byte) Math.round(Math.max(0f, Math.min(255f, v)));
    }

    /** From a {@link BufferedImage} of any type, through its default sRGB colour model; alpha is dropped. */
    public static RgbImage fromBufferedImage(BufferedImage img) {
        int h = img.getHeight();
        int w = img.getWidth();
        byte[] rgb = new byte[h * w * 3];
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            img.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int p = row[x];
                int o = (y * w + x) * 3;
                rgb[o] = (byte) (p >> 16);
                rgb[o + 1] = (byte) (p >> 8);
                rgb[o + 2] = (byte) p;
            }
        }
        return new RgbImage(h, w, rgb);
    }

    /** A {@link BufferedImage#TYPE_INT_RGB} copy of this image. */
    public BufferedImage toBufferedImage() {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int[] row = new int[width];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int o = (y * width + x) * 3;
                row[x] = ((hwc[o] & 0xff) << 16) | ((hwc[o + 1] & 0xff) << 8) | (hwc[o + 2] & 0xff);
            }
            img.setRGB(0, y, width, 1, row, 0, width);
        }
        return img;
    }
}
