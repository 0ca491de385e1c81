package org.medsa.train.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.medsa.core.modeling.Sam;
import org.medsa.core.nn.Ops;
import org.medsa.core.predictor.ResizeLongestSide;

/**
 * A batch in the model's frame, prepared on the device: images resized so the longest side is
 * the model input size (bilinear), normalised with the model's pixel mean/std and zero-padded;
 * targets resized the same way (soft), as (B, S, S) for prompt sampling and (B, 1, L, L) at
 * the decoder's low-res size for the loss.
 *
 * @param images (B, 3, S, S) model input
 * @param masks (B, S, S) targets in the input frame, 0..1 (0 in the padding)
 * @param lowResTargets (B, 1, L, L) targets at the low-res logits' size
 * @param inputHeight rows of the resized image inside the padded input
 * @param inputWidth columns of the resized image inside the padded input
 */
public record SamBatch(NDArray images, NDArray masks, NDArray lowResTargets, int inputHeight, int inputWidth) {

    /**
     * @param images (B, 3, H, W) on a 0–255 scale (dataset records), on the target device
     * @param targets (B, 1, H, W) in [0, 1]
     */
    public static SamBatch prepare(Sam sam, NDArray images, NDArray targets) {
        int s = sam.imageSize();
        long h = images.getShape().get(2);
        long w = images.getShape().get(3);
        int[] size = new ResizeLongestSide(s).preprocessShape((int) h, (int) w);
        NDArray img = images;
        NDArray tgt = targets;
        if (size[0] != h || size[1] != w) {
            img = Ops.interpolate(images, new long[] {size[0], size[1]}, Ops.Mode.BILINEAR, false);
            tgt = Ops.interpolate(targets, new long[] {size[0], size[1]}, Ops.Mode.BILINEAR, false);
        }
        NDArray input = sam.preprocess(img);
        NDArray padded = Ops.padBottomRight(tgt.transpose(0, 2, 3, 1), s - size[0], s - size[1]).transpose(0, 3, 1, 2);
        int[] low = sam.promptEncoder().maskInputSize();
        NDArray lowRes = Ops.interpolate(padded, new long[] {low[0], low[1]}, Ops.Mode.BILINEAR, false);
        return new SamBatch(input, padded.squeeze(1), lowRes, size[0], size[1]);
    }

    /** Stacks dataset records' arrays into one batch on {@code manager}'s device. */
    public static NDArray stack(NDManager manager, java.util.List<NDArray> arrays) {
        NDArray s = ai.djl.ndarray.NDArrays.stack(new NDList(arrays), 0);
        return s.getDevice().equals(manager.getDevice()) ? s : s.toDevice(manager.getDevice(), false);
    }

    public long size() {
        return images.getShape().get(0);
    }

    /** Upsamples low-res logits (B, C, L, L) to the input frame (B, C, S, S). */
    public static NDArray toInputFrame(Sam sam, NDArray lowRes) {
        int s = sam.imageSize();
        return Ops.interpolate(lowRes, new long[] {s, s}, Ops.Mode.BILINEAR, false);
    }

    /** The shape of the model input. */
    public Shape inputShape() {
        return images.getShape();
    }
}
