package org.medsa.core.modeling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.medsa.core.nn.Inits;
import org.medsa.core.nn.Ops;
import org.medsa.core.nn.TorchBlock;

/**
 * Random Fourier features of normalised (x, y) coordinates: [sin(2π·u), cos(2π·u)] with
 * u = (2p − 1)·G. G (2, C/2) is a persistent buffer {@code positional_encoding_gaussian_matrix}
 * that must come from the checkpoint.
 */
public class PositionEmbeddingRandom extends TorchBlock {

    private final Parameter gaussian;

    /** A (2, {@code numPosFeats}) matrix G, initialised N(0, scale²) (scale 1 if not positive). */
    public PositionEmbeddingRandom(int numPosFeats, double scale) {
        this.gaussian = buffer("positional_encoding_gaussian_matrix", new Shape(2, numPosFeats),
                Inits.normal(scale <= 0 ? 1.0 : scale));
    }

    /** coords (..., 2) in [0, 1] → (..., C). */
    NDArray encode(ParameterStore ps, NDArray coords, boolean training) {
        NDArray c = Ops.mul(coords, 2).sub(1).matMul(value(ps, gaussian, coords, training));
        c = Ops.mul(c, 2 * Math.PI);
        return NDArrays.concat(new NDList(c.sin(), c.cos()), -1);
    }

    /** The (C, h, w) encoding of the centres of an h×w grid. */
    /** The (2, C/2) Gaussian matrix's current array (its identity changes when weights are loaded). */
    NDArray gaussianArray() {
        return gaussian.getArray();
    }

    public NDArray dense(ParameterStore ps, NDManager manager, int h, int w, boolean training) {
        float[] xy = new float[h * w * 2];
        for (int i = 0; i < h; i++) {
            for (int j = 0; j < w; j++) {
                // grid.cumsum - 0.5, divided by the size, in float32 as torch does
                xy[(i * w + j) * 2] = (float) (j + 1) - 0.5f;
                xy[(i * w + j) * 2 + 1] = (float) (i + 1) - 0.5f;
            }
        }
        NDArray grid = manager.create(xy, new Shape(h, w, 2));
        NDArray scale = manager.create(new float[] {w, h});
        NDArray device = gaussian.getArray();
        if (!grid.getDevice().equals(device.getDevice())) {
            grid = grid.toDevice(device.getDevice(), false);
            scale = scale.toDevice(device.getDevice(), false);
        }
        return encode(ps, grid.div(scale), training).transpose(2, 0, 1);
    }

    /** Pixel coordinates (..., 2) in an image of (h, w) → (..., C). */
    public NDArray encodeCoords(ParameterStore ps, NDArray coords, int imageH, int imageW, boolean training) {
        NDArray size = coords.getManager().create(new float[] {imageW, imageH});
        if (!size.getDevice().equals(coords.getDevice())) {
            size = size.toDevice(coords.getDevice(), false);
        }
        return encode(ps, coords.div(size), training);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(encode(ps, inputs.singletonOrThrow(), training));
    }
}
