package org.medsa.core.geometry;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.medsa.core.MedsaException;
import org.medsa.core.nn.Ops;

/**
 * Where one image of {@code height × width} pixels sits in the square model input of side {@code
 * size}: resized to {@code inputHeight × inputWidth} at the top-left, the rest padding. Made by
 * {@link InputGeometry#frame}; it maps prompts into the model input and masks back out.
 *
 * <p>Prompt coordinates follow SAM: (x, y) = (column, row) in pixels of the image, scaled by
 * {@code inputWidth / width} and {@code inputHeight / height} in double precision and rounded to
 * float once ({@code ResizeLongestSide.apply_coords}); SAM's prompt encoder then adds the 0.5
 * pixel-centre offset. Boxes are two such points.
 *
 * @param height rows of the original image
 * @param width columns of the original image
 * @param inputHeight rows of the resized image inside the model input
 * @param inputWidth columns of the resized image inside the model input
 * @param size side of the square model input
 */
public record ImageFrame(int height, int width, int inputHeight, int inputWidth, int size) {

    /** Checks the frame: positive sides, and the resized image no larger than the input square. */
    public ImageFrame {
        if (height <= 0 || width <= 0 || inputHeight <= 0 || inputWidth <= 0 || inputHeight > size || inputWidth > size) {
            throw new MedsaException("bad frame: image " + height + "x" + width + " in " + inputHeight + "x"
                    + inputWidth + " of a " + size + " input");
        }
    }

    /** Factor from image columns to model-input columns. */
    public double scaleX() {
        return (double) inputWidth / width;
    }

    /** Factor from image rows to model-input rows. */
    public double scaleY() {
        return (double) inputHeight / height;
    }

    /** Maps (x, y) pairs (points, or boxes as x0, y0, x1, y1) from the image to the model input. */
    public float[] toInput(double[] xy) {
        if (xy.length % 2 != 0) {
            throw new MedsaException("coordinates come in (x, y) pairs, got " + xy.length + " values");
        }
        double sx = scaleX();
        double sy = scaleY();
        float[] out = new float[xy.length];
        for (int i = 0; i < xy.length; i += 2) {
            out[i] = (float) (xy[i] * sx);
            out[i + 1] = (float) (xy[i + 1] * sy);
        }
        return out;
    }

    /**
     * The device version of {@link #toInput(double[])} for prompt arrays whose last axis holds (x,
     * y) pairs: points (B, N, 2) or boxes (B, 4). The same double-precision arithmetic, on the
     * array's device; the result is float32.
     */
    public NDArray toInput(NDArray xy) {
        Shape shape = xy.getShape();
        if (shape.dimension() == 0 || shape.get(shape.dimension() - 1) % 2 != 0) {
            throw new MedsaException("coordinates come in (x, y) pairs, got shape " + shape);
        }
        NDArray scale = xy.getManager().create(new double[] {scaleX(), scaleY()}).toDevice(xy.getDevice(), false);
        NDArray pairs = xy.toType(DataType.FLOAT64, false).reshape(-1, 2);
        return pairs.mul(scale).toType(DataType.FLOAT32, false).reshape(shape);
    }

    /**
     * SAM's {@code postprocess_masks}: low-res logits (B, C, h, w) → bilinear to the input square →
     * the resized image's part → bilinear to the original (B, C, height, width).
     */
    public NDArray masksToOriginal(NDArray lowRes) {
        NDArray x = Ops.interpolate(lowRes, new long[] {size, size}, Ops.Mode.BILINEAR, false);
        if (inputHeight != size || inputWidth != size) {
            x = x.get(":, :, :" + inputHeight + ", :" + inputWidth);
        }
        if (inputHeight == height && inputWidth == width) {
            return x; // bilinear resizing to the same size is the identity
        }
        return Ops.interpolate(x, new long[] {height, width}, Ops.Mode.BILINEAR, false);
    }
}
