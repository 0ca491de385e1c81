package org.medsa.data.transforms;

/**
 * Turns a (3, H, W) image on a 0..255 scale (a dataset record's image) into the square model input
 * of a SAM-family checkpoint, and maps predicted masks back to (H, W).
 *
 * <p>Normalisation is a property of the checkpoint (spec B.11); mixing them silently is the
 * likeliest cause of bad Dice, so it is an explicit {@link Mode}:
 *
 * <ul>
 *   <li>{@link Mode#SAM}: resize so the longest side is {@code size} (bilinear, antialiased when
 *       shrinking, like SAM's PIL resize; new side = {@code (int) (side * size / longest + 0.5)}),
 *       normalise each channel with SAM's pixel mean (123.675, 116.28, 103.53) and std (58.395,
 *       57.12, 57.375), then pad bottom and right with zeros to {@code size x size}.
 *   <li>{@link Mode#MEDSAM}: squash to {@code size x size} (bilinear, antialiased; MedSAM uses
 *       bicubic), then min-max to [0, 1] over the whole image, no mean/std.
 *   <li>{@link Mode#MSA_COMPAT}: divide by 255 and squash to {@code size x size} (bilinear), as the
 *       official Med-SA code does.
 * </ul>
 */
public final class SamInputPreprocessor {

    public static final float[] SAM_PIXEL_MEAN = {123.675f, 116.28f, 103.53f};
    public static final float[] SAM_PIXEL_STD = {58.395f, 57.12f, 57.375f};

    /** Which checkpoint family's input convention to follow. */
    public enum Mode {
        SAM,
        MEDSAM,
        MSA_COMPAT
    }

    private final Mode mode;
    private final int size;

    public SamInputPreprocessor(Mode mode, int size) {
        if (size <= 0) {
            throw new IllegalArgumentException("input size must be positive, got " + size);
        }
        this.mode = mode;
        this.size = size;
    }

    public Mode mode() {
        return mode;
    }

    public int size() {
        return size;
    }

    /** The prepared input and the sizes needed to map results back. */
    public static final class SamInput {
        private final float[] data;
        private final int size;
        private final int resizedHeight;
        private final int resizedWidth;
        private final int originalHeight;
        private final int originalWidth;

        SamInput(float[] data, int size, int resizedHeight, int resizedWidth, int originalHeight, int originalWidth) {
            this.data = data;
            this.size = size;
            this.resizedHeight = resizedHeight;
            this.resizedWidth = resizedWidth;
            this.originalHeight = originalHeight;
            this.originalWidth = originalWidth;
        }

        /** (3, size, size) row-major. */
        public float[] data() {
            return data;
        }

        public int size() {
            return size;
        }

        /** Height of the image inside the square before padding (= size when squashed). */
        public int resizedHeight() {
            return resizedHeight;
        }

        public int resizedWidth() {
            return resizedWidth;
        }

        public int originalHeight() {
            return originalHeight;
        }

        public int originalWidth() {
            return originalWidth;
        }

        /** Factor from original pixel coordinates to input coordinates along rows. */
        public double rowScale() {
            return (double) resizedHeight / originalHeight;
        }

        /** Factor from original pixel coordinates to input coordinates along cols. */
        public double colScale() {
            return (double) resizedWidth / originalWidth;
        }
    }

    /** @param image (3, height, width) row-major on a 0..255 scale */
    public SamInput prepare(float[] image, int height, int width) {
        if (image.length != 3 * height * width) {
            throw new IllegalArgumentException("expected a (3, " + height + ", " + width + ") image, got "
                    + image.length + " values");
        }
        int plane = height * width;
        float[] buf = new float[plane];
        float[] out = new float[3 * size * size];
        if (mode == Mode.SAM) {
            double scale = (double) size / Math.max(height, width);
            int newH = (int) (height * scale + 0.5);
            int newW = (int) (width * scale + 0.5);
            for (int ch = 0; ch < 3; ch++) {
                System.arraycopy(image, ch * plane, buf, 0, plane);
                float[] resized = Resize2D.bilinear(buf, height, width, newH, newW, true);
                int base = ch * size * size;
                for (int r = 0; r < newH; r++) {
                    for (int c = 0; c < newW; c++) {
                        out[base + r * size + c] = (resized[r * newW + c] - SAM_PIXEL_MEAN[ch]) / SAM_PIXEL_STD[ch];
                    }
                }
                // rows >= newH and cols >= newW stay 0: padding after normalisation
            }
            return new SamInput(out, size, newH, newW, height, width);
        }
        boolean antialias = mode == Mode.MEDSAM;
        for (int ch = 0; ch < 3; ch++) {
            System.arraycopy(image, ch * plane, buf, 0, plane);
            float[] resized = Resize2D.bilinear(buf, height, width, size, size, antialias);
            System.arraycopy(resized, 0, out, ch * size * size, size * size);
        }
        if (mode == Mode.MSA_COMPAT) {
            for (int i = 0; i < out.length; i++) {
                out[i] /= 255f;
            }
        } else {
            float min = Float.POSITIVE_INFINITY, max = Float.NEGATIVE_INFINITY;
            for (float v : out) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
            float range = Math.max(max - min, 1e-8f);
            for (int i = 0; i < out.length; i++) {
                out[i] = (out[i] - min) / range;
            }
        }
        return new SamInput(out, size, size, size, height, width);
    }

    /**
     * Maps a predicted mask (logits or probabilities, {@code maskHeight x maskWidth}, covering the
     * whole square input) back to the original image size with bilinear interpolation. In SAM mode
     * the mask is first enlarged to the input square and the padding cropped off, as SAM's
     * {@code postprocess_masks} does.
     */
    public float[] restoreMask(float[] mask, int maskHeight, int maskWidth, SamInput input) {
        if (mask.length != maskHeight * maskWidth) {
            throw new IllegalArgumentException("mask has " + mask.length + " values, expected "
                    + maskHeight + "x" + maskWidth);
        }
        if (mode != Mode.SAM) {
            return Resize2D.bilinear(mask, maskHeight, maskWidth, input.originalHeight(), input.originalWidth(), false);
        }
        float[] square = Resize2D.bilinear(mask, maskHeight, maskWidth, input.size(), input.size(), false);
        int h = input.resizedHeight(), w = input.resizedWidth();
        float[] cropped = new float[h * w];
        for (int r = 0; r < h; r++) {
            System.arraycopy(square, r * input.size(), cropped, r * w, w);
        }
        return Resize2D.bilinear(cropped, h, w, input.originalHeight(), input.originalWidth(), false);
    }
}
