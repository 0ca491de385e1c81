package org.medsa.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * SAM's LayerNorm2d: normalises each pixel of an NCHW tensor over its channels (biased variance),
 * then scales and shifts per channel. Computed in the same order of operations as SAM.
 */
public class LayerNorm2d extends TorchBlock {

    private final double eps;
    private final Parameter weight;
    private final Parameter bias;

    /** A norm over {@code channels} with epsilon {@code eps}; weight starts at ones, bias at zeros. */
    public LayerNorm2d(long channels, double eps) {
        this.eps = eps;
        this.weight = param("weight", new Shape(channels), Inits.ones());
        this.bias = param("bias", new Shape(channels), Inits.zeros());
    }

    /** A norm over {@code channels} with SAM's epsilon, 1e-6. */
    public LayerNorm2d(long channels) {
        this(channels, 1e-6);
    }

    /** x: (B, C, H, W) → the same shape, each pixel normalised over C. */
    public NDArray forward(ParameterStore ps, NDArray x, boolean training) {
        NDArray u = x.mean(new int[] {1}, true);
        NDArray d = x.sub(u);
        NDArray s = d.square().mean(new int[] {1}, true);
        NDArray n = d.div(s.add(eps).sqrt());
        NDArray w = value(ps, weight, x, training).reshape(-1, 1, 1);
        NDArray b = value(ps, bias, x, training).reshape(-1, 1, 1);
        return n.mul(w).add(b);
    }

    /**
     * The same norm on channel-last pixels, x: (B, H, W, C), as one native layer norm over the
     * contiguous last axis (the decoder's upscaling path).
     */
    public NDArray forwardChannelsLast(ParameterStore ps, NDArray x, boolean training) {
        return LayerNorm.lastAxis(ps, x, weight, bias, (float) eps, training);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, inputs.singletonOrThrow(), training));
    }
}
