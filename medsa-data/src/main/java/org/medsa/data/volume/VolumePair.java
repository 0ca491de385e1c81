package org.medsa.data.volume;

import java.util.Arrays;
import org.medsa.core.MedsaException;

/**
 * An image with its (optional) label map on the same grid: the unit that volume transforms work
 * on, so that image and labels always stay aligned.
 */
public final class VolumePair {

    private final ImageVolume image;
    private final LabelVolume label;

    /**
     * @param label may be null (unlabelled case); otherwise it must have the image's shape
     */
    public VolumePair(ImageVolume image, LabelVolume label) {
        if (label != null && !Arrays.equals(image.grid().shape(), label.grid().shape())) {
            throw new MedsaException(
                    "image " + image.grid() + " and label " + label.grid() + " differ in shape");
        }
        this.image = image;
        this.label = label;
    }

    /** The image. */
    public ImageVolume image() {
        return image;
    }

    /** The label map, or null. */
    public LabelVolume label() {
        return label;
    }

    /** True when a label map is present. */
    public boolean hasLabel() {
        return label != null;
    }

    /** The image's grid (the label map has the same shape). */
    public Grid grid() {
        return image.grid();
    }

    /** Both volumes moved onto {@code grid} (same data, new geometry). */
    public VolumePair withGrid(Grid grid) {
        return new VolumePair(image.withGrid(grid), label == null ? null : label.withGrid(grid));
    }
}
