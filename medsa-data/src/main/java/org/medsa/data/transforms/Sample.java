package org.medsa.data.transforms;

import org.medsa.core.MedsaException;

/**
 * One training sample before it becomes NDArrays: a stack of {@code depth} 2D slices with
 * {@code channels} image channels and one target channel, all {@code height x width}.
 *
 * <ul>
 *   <li>image: float (depth, channels, height, width), row-major, on a 0..255 scale;
 *   <li>target: float (depth, height, width) in [0, 1] (binary, or soft when raters are averaged).
 * </ul>
 *
 * Arrays are not copied: transforms create new samples instead of writing into them.
 */
public final class Sample {

    private final int depth;
    private final int channels;
    private final int height;
    private final int width;
    private final float[] image;
    private final float[] target;

    /** A sample over {@code image} and {@code target} (not copied); their lengths must match the dimensions. */
    public Sample(int depth, int channels, int height, int width, float[] image, float[] target) {
        if (depth <= 0 || channels <= 0 || height <= 0 || width <= 0) {
            throw new MedsaException("sample dimensions must be positive");
        }
        if (image.length != depth * channels * height * width) {
            throw new MedsaException("image has " + image.length + " values, expected "
                    + depth + "x" + channels + "x" + height + "x" + width);
        }
        if (target.length != depth * height * width) {
            throw new MedsaException("target has " + target.length + " values, expected "
                    + depth + "x" + height + "x" + width);
        }
        this.depth = depth;
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.image = image;
        this.target = target;
    }

    /** Number of slices. */
    public int depth() {
        return depth;
    }

    /** Image channels per slice. */
    public int channels() {
        return channels;
    }

    /** Slice height (rows). */
    public int height() {
        return height;
    }

    /** Slice width (cols). */
    public int width() {
        return width;
    }

    /** (depth, channels, height, width) row-major; not a copy. */
    public float[] image() {
        return image;
    }

    /** (depth, height, width) row-major; not a copy. */
    public float[] target() {
        return target;
    }

    /** Number of image planes (depth x channels). */
    int imagePlanes() {
        return depth * channels;
    }
}
