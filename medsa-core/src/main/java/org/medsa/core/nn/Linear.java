package org.medsa.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.Initializer;
import ai.djl.util.PairList;

/** {@code torch.nn.Linear}: weight (out, in), optional bias (out); acts on the last axis. */
public class Linear extends TorchBlock {

    private final long in;
    private final long out;
    private final Parameter weight;
    private final Parameter bias;

    /** A layer from {@code in} to {@code out} features with a bias, initialised as PyTorch's. */
    public Linear(long in, long out) {
        this(in, out, true);
    }

    /** A layer from {@code in} to {@code out} features, with or without a bias, initialised as PyTorch's. */
    public Linear(long in, long out, boolean withBias) {
        this(in, out, withBias, Inits.uniformFanIn(in), Inits.uniformFanIn(in));
    }

    /**
     * A layer from {@code in} to {@code out} features with the given initialisers (the bias one is
     * unused without a bias).
     */
    public Linear(long in, long out, boolean withBias, Initializer weightInit, Initializer biasInit) {
        this.in = in;
        this.out = out;
        this.weight = param("weight", new Shape(out, in), weightInit);
        this.bias = withBias ? param("bias", new Shape(out), biasInit) : null;
    }

    /** Size of the input's last axis. */
    public long inFeatures() {
        return in;
    }

    /** Size of the output's last axis. */
    public long outFeatures() {
        return out;
    }

    /** The (out, in) weight parameter. */
    public Parameter weight() {
        return weight;
    }

    /** The (out) bias parameter, or null if the layer has none. */
    public Parameter bias() {
        return bias;
    }

    /** x: (..., in) → (..., out), {@code x · weightᵀ + bias}. */
    public NDArray forward(ParameterStore ps, NDArray x, boolean training) {
        NDArray w = value(ps, weight, x, training);
        NDArray b = bias == null ? null : value(ps, bias, x, training);
        return ai.djl.nn.core.Linear.linear(x, w, b).singletonOrThrow(); // DJL's class: name clash with ours
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, inputs.singletonOrThrow(), training));
    }
}
