package org.medsa.core.nn;

import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/** A parameterless activation inside a {@link ModuleList} (it keeps PyTorch's Sequential indices). */
public class ActivationBlock extends TorchBlock {

    private final Mlp.Activation activation;

    /** A block that applies {@code activation} to its single input. */
    public ActivationBlock(Mlp.Activation activation) {
        this.activation = activation;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(activation.apply(inputs.singletonOrThrow()));
    }
}
