package org.medsa.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/** {@code torch.nn.Embedding} used as a learned table (SAM reads its rows directly). */
public class Embedding extends TorchBlock {

    private final Parameter weight;

    /** A table of {@code rows} learned vectors of size {@code dim}, initialised N(0, 1) as PyTorch does. */
    public Embedding(long rows, long dim) {
        this.weight = param("weight", new Shape(rows, dim), Inits.normal(1.0));
    }

    /** The whole (rows, dim) table as a view in the scope of {@code like}. */
    public NDArray table(ParameterStore ps, NDArray like, boolean training) {
        return value(ps, weight, like, training);
    }

    /** The (rows, dim) weight parameter. */
    public Parameter weight() {
        return weight;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(table(ps, inputs.head(), training));
    }
}
