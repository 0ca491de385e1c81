package org.medsa.server;

import org.medsa.core.predictor.RgbImage;
import org.medsa.core.viz.Overlay;
import org.medsa.data.transforms.Intensity;
import org.medsa.data.transforms.Slicer;
import org.medsa.data.volume.ImageVolume;
import org.medsa.inference.SegmentationInput;

/** The PNGs the viewer shows: a slice in gray, a slice's labels, one mask. */
final class SliceRenderer {

    private SliceRenderer() {}

    /**
     * Slice {@code index} along {@code axis} as a PNG: for volumes gray through {@code window} [lo,
     * hi], or with no window exactly the gray levels the model sees ({@code normalised}); a 2D
     * image as it is.
     */
    static byte[] slice(SegmentationInput input, ImageVolume normalised, int axis, int index, double[] window) {
        if (!input.isVolume()) {
            return Overlay.png(input.image().toBufferedImage());
        }
        int[] hw = input.sliceShape(axis);
        byte[] gray;
        if (window == null) {
            RgbImage img = input.sliceImage(normalised, axis, index);
            gray = new byte[hw[0] * hw[1]];
            for (int p = 0; p < gray.length; p++) {
                gray[p] = img.hwc()[3 * p];
            }
        } else {
            Intensity.checkWindow(window[0], window[1]);
            gray = Intensity.gray8(Slicer.slice(input.volume(), axis, index), window[0], window[1]);
        }
        return Overlay.png(Overlay.grayImage(gray, hw[0], hw[1]));
    }

    /** A slice's labels (rows × cols) as an 8-bit gray PNG of the label values. */
    static byte[] labels(int[] sliceLabels, int rows, int cols) {
        return Overlay.png(Overlay.labelImage(sliceLabels, rows, cols, false));
    }

    /** One mask as a PNG (white on black). */
    static byte[] mask(boolean[] mask, int rows, int cols) {
        return Overlay.png(Overlay.maskImage(mask, rows, cols));
    }
}
