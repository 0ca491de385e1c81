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

    public Linear(long in, long out) {
        this(in, out, true);
    }

    public Linear(long in, long out, boolean withBias) {
        this(in, out, withBias, Inits.uniformFanIn(in), Inits.uniformFanIn(in));
    }

    public Linear(long in, long out, boolean withBias, Initializer weightInit, Initializer biasInit) {
        this.in = in;
        this.out = out;
        this.weight = param("weight", new Shape(out, in), weightInit);
        this.bias = withBias ? param("bias", new Shape(out), biasInit) : null;
    }

    public long inFeatures() {
        return in;
    }

    public long outFeatures() {
        return out;
    }

    public Parameter weight() {
        return weight;
    }

    public Parameter bias() {
        return bias;
    }

    public NDArray forward(ParameterStore ps, NDArray x, boolean training) {
        NDArray w = value(ps, weight, x, training);
        NDArray b = bias == null ? null : value(ps, bias, x, training);
        return ai.djl.nn.core.Linear.linear(x, w, b).singletonOrThrow();
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, inputs.singletonOrThrow(), training));
    }
}
