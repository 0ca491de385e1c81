package org.medsa.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/** {@code torch.nn.LayerNorm} over the last axis, with an explicit epsilon. */
public class LayerNorm extends TorchBlock {

    private final long dim;
    private final float eps;
    private final Parameter weight;
    private final Parameter bias;

    /** A layer norm over a last axis of size {@code dim}; weight starts at ones, bias at zeros. */
    public LayerNorm(long dim, double eps) {
        this.dim = dim;
        this.eps = (float) eps;
        this.weight = param("weight", new Shape(dim), Inits.ones());
        this.bias = param("bias", new Shape(dim), Inits.zeros());
    }

    /** Normalises {@code x} over its last axis, then scales and shifts it. */
    public NDArray forward(ParameterStore ps, NDArray x, boolean training) {
        return lastAxis(ps, x, weight, bias, eps, training);
    }

    /**
     * PyTorch's native layer norm of x over its last axis with the given weight and bias
     * parameters; float16 activations are normalised in float32 (statistics over 768–1280 values).
     */
    static NDArray lastAxis(ParameterStore ps, NDArray x, Parameter weight, Parameter bias, float eps, boolean training) {
        return Precision.inFloat32(x, x32 -> {
            NDArray w = value(ps, weight, x32, training);
            NDArray b = value(ps, bias, x32, training);
            Shape normalized = new Shape(w.getShape().get(0));
            return ai.djl.nn.norm.LayerNorm.layerNorm(x32, normalized, w, b, eps).singletonOrThrow(); // DJL's: name clash
        });
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, inputs.singletonOrThrow(), training));
    }
}
