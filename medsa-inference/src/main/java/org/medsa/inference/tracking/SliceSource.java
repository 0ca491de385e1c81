package org.medsa.inference.tracking;

import java.util.List;
import java.util.function.IntFunction;
import org.medsa.core.MedsaException;
import org.medsa.core.predictor.RgbImage;
import org.medsa.data.volume.ImageVolume;
import org.medsa.inference.SegmentationInput;

/**
 * The frames a {@link VolumeTracker} runs over: the slices of a volume along one axis, in order,
 * each an 8-bit image of the same size, made when the tracker needs it (a volume's frames are
 * never all held as model inputs at once).
 */
public interface SliceSource {

    /** Number of slices. */
    int count();

    /** Rows of every slice. */
    int height();

    /** Columns of every slice. */
    int width();

    /** Slice {@code index} (0 ≤ index &lt; count) as an 8-bit image of height × width. */
    RgbImage slice(int index);

    /**
     * The slices of {@code input} along {@code axis}, with intensities mapped to gray levels by
     * {@code normalised} (the input's volume after its {@code Intensity}; ignored for 2D images).
     */
    static SliceSource of(SegmentationInput input, ImageVolume normalised, int axis) {
        input.checkAxis(axis);
        int[] hw = input.sliceShape(axis);
        int n = input.shape()[axis];
        return of(n, hw[0], hw[1], k -> input.sliceImage(normalised, axis, k));
    }

    /** Slices made by {@code loader}. */
    static SliceSource of(int count, int height, int width, IntFunction<RgbImage> loader) {
        if (count < 1 || height < 1 || width < 1) {
            throw new MedsaException("a volume to track needs at least one slice of at least 1x1 pixels, got " + count
                    + " slices of " + height + "x" + width);
        }
        return new SliceSource() {
            @Override
            public int count() {
                return count;
            }

            @Override
            public int height() {
                return height;
            }

            @Override
            public int width() {
                return width;
            }

            @Override
            public RgbImage slice(int index) {
                RgbImage img = loader.apply(index);
                if (img.height() != height || img.width() != width) {
                    throw new MedsaException("slice " + index + " is " + img.height() + "x" + img.width() + ", expected "
                            + height + "x" + width);
                }
                return img;
            }
        };
    }

    /** Images already in memory, all of one size. */
    static SliceSource of(List<RgbImage> images) {
        if (images.isEmpty()) {
            throw new MedsaException("no slices to track");
        }
        return of(images.size(), images.get(0).height(), images.get(0).width(), images::get);
    }
}
