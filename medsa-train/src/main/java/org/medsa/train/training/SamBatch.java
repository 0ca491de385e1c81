package org.medsa.train.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.medsa.core.geometry.ImageFrame;
import org.medsa.core.geometry.InputGeometry;
import org.medsa.core.modeling.Sam;
import org.medsa.core.nn.Ops;
import org.medsa.core.predictor.RgbImage;
import org.medsa.data.transforms.Sample;

/**
 * A training batch in the model's frame, made by the model's {@link InputGeometry} exactly as the
 * predictor makes its input: each slice quantised to 8 bits, resized (longest side with SAM's
 * profile), normalised and padded; each target resized the same way (soft) and padded with 0.
 *
 * @param images (N, 3, S, S) model input, N = samples × slices per sample
 * @param masks (N, S, S) targets in the input frame, 0..1 (0 in the padding)
 * @param lowResTargets (N, 1, L, L) targets at the low-res logits' size
 * @param frames where each slice sits in the input (one per slice)
 */
public record SamBatch(NDArray images, NDArray masks, NDArray lowResTargets, List<ImageFrame> frames) {

    /** Prepares {@code samples} (their slices in order) on {@code manager}'s device. */
    public static SamBatch prepare(Sam sam, List<Sample> samples, NDManager manager) {
        return prepare(sam.geometry(), sam.promptEncoder().maskInputSize(), samples, manager);
    }

    /**
     * Prepares {@code samples} for a model with {@code geometry} whose low-res logits are {@code
     * low} (rows, cols) — SAM's or SAM 2's.
     */
    public static SamBatch prepare(InputGeometry geometry, int[] low, List<Sample> samples, NDManager manager) {
        int s = geometry.size();
        int plane = s * s;
        int n = 0;
        for (Sample x : samples) {
            n += x.depth();
        }
        float[] images = new float[n * 3 * plane];
        float[] targets = new float[n * plane];
        List<ImageFrame> frames = new ArrayList<>(n);
        int slice = 0;
        for (Sample x : samples) {
            int h = x.height();
            int w = x.width();
            int imagePlane = x.channels() * h * w;
            for (int z = 0; z < x.depth(); z++, slice++) {
                float[] chw = new float[imagePlane];
                System.arraycopy(x.image(), z * imagePlane, chw, 0, imagePlane);
                InputGeometry.ModelInput in = geometry.prepare(RgbImage.fromPlanes(chw, x.channels(), h, w));
                System.arraycopy(in.chw(), 0, images, slice * 3 * plane, 3 * plane);
                float[] t = new float[h * w];
                System.arraycopy(x.target(), z * h * w, t, 0, h * w);
                System.arraycopy(geometry.target(t, in.frame()), 0, targets, slice * plane, plane);
                frames.add(in.frame());
            }
        }
        NDArray input = manager.create(images, new Shape(n, 3, s, s));
        NDArray masks = manager.create(targets, new Shape(n, 1, s, s));
        NDArray lowRes = Ops.interpolate(masks, new long[] {low[0], low[1]}, Ops.Mode.BILINEAR, false);
        return new SamBatch(input, masks.squeeze(1), lowRes, frames);
    }

    /** Number of slices. */
    public long size() {
        return images.getShape().get(0);
    }
}
