package org.medsa.core.geometry;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.medsa.core.MedsaException;
import org.medsa.core.modeling.SamConfig;
import org.medsa.core.nn.Ops;
import org.medsa.core.predictor.RgbImage;

/**
 * The one owner of a model's input geometry: how an image becomes the square model input (resize,
 * normalise, pad) and how targets, prompts and masks move between the image and that input.
 * Training, validation, evaluation, the predictor and every tool built on them go through it, so
 * adapters are always used on the geometry they were trained on (spec errata 8).
 *
 * <p>Images enter as 8-bit RGB ({@link RgbImage}), as SAM's do; medical slices are quantised once
 * when they become an {@code RgbImage}. Resizing is Pillow's bilinear filter ({@link PillowResize},
 * antialiased when shrinking), bit-exact with SAM's predictor. The rest depends on the {@link
 * InputProfile}.
 */
public final class InputGeometry {

    private final InputProfile profile;
    private final int size;
    private final float[] mean;
    private final float[] std;

    /**
     * @param pixelMean per-channel mean on a 0–255 scale (used by {@link InputProfile#SAM})
     * @param pixelStd per-channel standard deviation, positive and finite
     */
    public InputGeometry(InputProfile profile, int size, double[] pixelMean, double[] pixelStd) {
        if (size <= 0) {
            throw new MedsaException("input size must be positive, got " + size);
        }
        if (pixelMean.length != 3 || pixelStd.length != 3) {
            throw new MedsaException("pixel mean and std need 3 values");
        }
        this.profile = profile;
        this.size = size;
        this.mean = new float[3];
        this.std = new float[3];
        for (int c = 0; c < 3; c++) {
            if (!Double.isFinite(pixelMean[c]) || !(pixelStd[c] > 0) || !Double.isFinite(pixelStd[c])) {
                throw new MedsaException("pixel mean must be finite and pixel std positive, got mean "
                        + pixelMean[c] + ", std " + pixelStd[c]);
            }
            mean[c] = (float) pixelMean[c];
            std[c] = (float) pixelStd[c];
        }
    }

    /** ImageNet's per-channel mean, SAM 2's normalisation. */
    private static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
    /** ImageNet's per-channel standard deviation. */
    private static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};

    /** SAM 2's frame transform ({@link InputProfile#SAM2}) at input size {@code size}. */
    public static InputGeometry sam2(int size) {
        return new InputGeometry(InputProfile.SAM2, size, new double[] {123.675, 116.28, 103.53},
                new double[] {58.395, 57.12, 57.375});
    }

    /** The geometry a model config prescribes (its img_size, pixel mean/std and input profile). */
    public static InputGeometry of(SamConfig config) {
        return new InputGeometry(config.inputProfile(), config.imageEncoder.imgSize, config.pixelMean, config.pixelStd);
    }

    /** How images are normalised and placed in the square (see {@link InputProfile}). */
    public InputProfile profile() {
        return profile;
    }

    /** Side of the square model input. */
    public int size() {
        return size;
    }

    /**
     * Where an image of {@code height × width} goes: for {@link InputProfile#SAM} the longest side
     * becomes {@link #size()} and the other {@code (int) (side * size / longest + 0.5)} (SAM's
     * {@code get_preprocess_shape}); the other profiles stretch to the full square.
     */
    public ImageFrame frame(int height, int width) {
        if (height <= 0 || width <= 0) {
            throw new MedsaException("image size must be positive, got " + height + "x" + width);
        }
        if (!profile.keepsAspect()) {
            return new ImageFrame(height, width, size, size, size);
        }
        double scale = size * 1.0 / Math.max(height, width);
        int h = (int) (height * scale + 0.5);
        int w = (int) (width * scale + 0.5);
        return new ImageFrame(height, width, Math.max(1, h), Math.max(1, w), size);
    }

    /** One image in the model's frame. */
    public record ModelInput(ImageFrame frame, byte[] resized, float[] chw) {}

    /**
     * Resizes, normalises and pads one image.
     *
     * @return its frame, the resized 8-bit image (inputHeight, inputWidth, 3) and the model input
     *     (3, size, size) row-major float
     */
    public ModelInput prepare(RgbImage image) {
        ImageFrame f = frame(image.height(), image.width());
        PillowResize.Filter filter = profile == InputProfile.SAM2 ? PillowResize.Filter.BICUBIC : PillowResize.Filter.BILINEAR;
        byte[] resized = PillowResize.resize(image.hwc(), image.height(), image.width(), 3, f.inputHeight(), f.inputWidth(),
                filter);
        return new ModelInput(f, resized, normalise(resized, f));
    }

    private float[] normalise(byte[] resized, ImageFrame f) {
        int h = f.inputHeight();
        int w = f.inputWidth();
        float[] out = new float[3 * size * size];
        float lo = 0;
        float range = 255f;
        if (profile == InputProfile.MEDSAM) {
            int min = 255;
            int max = 0;
            for (byte b : resized) {
                min = Math.min(min, b & 0xff);
                max = Math.max(max, b & 0xff);
            }
            lo = min;
            range = Math.max(max - min, 1e-8f);
        }
        for (int ch = 0; ch < 3; ch++) {
            int base = ch * size * size;
            for (int r = 0; r < h; r++) {
                for (int c = 0; c < w; c++) {
                    float v = resized[(r * w + c) * 3 + ch] & 0xff;
                    if (profile == InputProfile.SAM2) {
                        // the official loader divides in float64, stores float32, then normalises in float32
                        float unit = (float) (v / 255.0);
                        out[base + r * size + c] = (unit - IMAGENET_MEAN[ch]) / IMAGENET_STD[ch];
                    } else {
                        out[base + r * size + c] = profile == InputProfile.SAM ? (v - mean[ch]) / std[ch] : (v - lo) / range;
                    }
                }
            }
            // rows >= h and columns >= w stay 0: SAM pads after normalising
        }
        return out;
    }

    /** The model inputs of several images, stacked (B, 3, size, size) on {@code manager}'s device. */
    public NDArray modelInputs(NDManager manager, List<RgbImage> images) {
        float[] all = new float[images.size() * 3 * size * size];
        int plane = 3 * size * size;
        for (int i = 0; i < images.size(); i++) {
            System.arraycopy(prepare(images.get(i)).chw(), 0, all, i * plane, plane);
        }
        return manager.create(all, new Shape(images.size(), 3, size, size));
    }

    /**
     * A target plane (height × width, values in [0, 1]) in the model's frame: resized with the
     * same triangle filter as the image (in float, so a shrunken boundary becomes soft) and padded
     * with 0 to (size, size).
     */
    public float[] target(float[] plane, ImageFrame f) {
        float[] resized = Resize2D.bilinear(plane, f.height(), f.width(), f.inputHeight(), f.inputWidth(), true);
        if (f.inputHeight() == size && f.inputWidth() == size) {
            return resized;
        }
        float[] out = new float[size * size];
        for (int r = 0; r < f.inputHeight(); r++) {
            System.arraycopy(resized, r * f.inputWidth(), out, r * size, f.inputWidth());
        }
        return out;
    }

    /**
     * Low-res logits (B, C, h, w) back to the image of {@code frame}: SAM's two bilinear steps
     * through the input square ({@link ImageFrame#masksToOriginal}), or SAM 2's single bilinear
     * resize to the image size ({@code _get_orig_video_res_output}).
     */
    public NDArray masksToOriginal(NDArray lowRes, ImageFrame frame) {
        if (profile != InputProfile.SAM2) {
            return frame.masksToOriginal(lowRes);
        }
        return Ops.resizeBilinear(lowRes, frame.height(), frame.width());
    }

    /** Low-res logits (B, C, h, w) bilinearly enlarged to the whole input square (B, C, size, size). */
    public NDArray masksToInput(NDArray lowRes) {
        return Ops.interpolate(lowRes, new long[] {size, size}, Ops.Mode.BILINEAR, false);
    }

    @Override
    public String toString() {
        return profile.id() + " " + size + "x" + size;
    }
}
