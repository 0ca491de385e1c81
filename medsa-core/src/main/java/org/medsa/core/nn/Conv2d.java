package org.medsa.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/** {@code torch.nn.Conv2d} on NCHW input: weight (out, in / groups, k, k), optional bias. */
public class Conv2d extends TorchBlock {

    private final Parameter weight;
    private final Parameter bias;
    private final int stride;
    private final int padding;
    private final int groups;

    /**
     * A square {@code kernel × kernel} convolution from {@code in} to {@code out} channels; weight
     * and bias start as PyTorch's.
     */
    public Conv2d(long in, long out, int kernel, int stride, int padding, boolean withBias) {
        this(in, out, kernel, stride, padding, 1, withBias);
    }

    /**
     * A grouped convolution: {@code groups} independent convolutions of in / groups channels each
     * (groups = in = out is SAM 2's depth-wise convolution).
     */
    public Conv2d(long in, long out, int kernel, int stride, int padding, int groups, boolean withBias) {
        if (groups < 1 || in % groups != 0 || out % groups != 0) {
            throw new IllegalArgumentException("channels " + in + " -> " + out + " do not split into " + groups + " groups");
        }
        long fanIn = in / groups * kernel * kernel;
        this.weight = param("weight", new Shape(out, in / groups, kernel, kernel), Inits.uniformFanIn(fanIn));
        this.bias = withBias ? param("bias", new Shape(out), Inits.uniformFanIn(fanIn)) : null;
        this.stride = stride;
        this.padding = padding;
        this.groups = groups;
    }

    /** x: (B, in, H, W) → (B, out, H', W') with this layer's stride and padding (dilation 1). */
    public NDArray forward(ParameterStore ps, NDArray x, boolean training) {
        NDArray w = value(ps, weight, x, training);
        NDArray b = bias == null ? null : value(ps, bias, x, training);
        return ai.djl.nn.convolutional.Conv2d.conv2d(x, w, b, // DJL's class: name clash with ours
                new Shape(stride, stride), new Shape(padding, padding), new Shape(1, 1), groups).singletonOrThrow();
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, inputs.singletonOrThrow(), training));
    }
}
