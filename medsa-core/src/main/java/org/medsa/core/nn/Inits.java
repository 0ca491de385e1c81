package org.medsa.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.initializer.Initializer;

/** Initialisers that reproduce PyTorch's defaults, so randomly built models behave like torch's. */
public final class Inits {

    private Inits() {}

    /** U(-1/sqrt(fanIn), 1/sqrt(fanIn)): nn.Linear / nn.Conv2d weights and biases by default. */
    public static Initializer uniformFanIn(long fanIn) {
        double bound = 1.0 / Math.sqrt(Math.max(fanIn, 1));
        return (NDManager m, Shape s, DataType t) -> m.randomUniform((float) -bound, (float) bound, s, t);
    }

    /** All zeros (LayerNorm biases, SAM's positional tables, zero-initialised adapter layers). */
    public static Initializer zeros() {
        return (NDManager m, Shape s, DataType t) -> m.zeros(s, t);
    }

    /** All ones (LayerNorm weights). */
    public static Initializer ones() {
        return (NDManager m, Shape s, DataType t) -> m.ones(s, t);
    }

    /** N(0, std²): nn.Embedding (std 1) and SAM's Fourier matrix (std = scale). */
    public static Initializer normal(double std) {
        return (NDManager m, Shape s, DataType t) -> m.randomNormal(0f, (float) std, s, t);
    }

    /** A constant array (e.g. a flattened identity), copied to the parameter's manager. */
    public static Initializer constant(float[] values) {
        return (NDManager m, Shape s, DataType t) -> {
            NDArray a = m.create(values, s);
            return t == DataType.FLOAT32 ? a : a.toType(t, false);
        };
    }
}
