package org.medsa.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.Locale;
import java.util.function.UnaryOperator;
import org.medsa.core.MedsaException;

/**
 * SAM's {@code MLPBlock}: lin1 → activation → lin2 (the encoder uses GELU, the two-way
 * transformer ReLU). Child names are PyTorch's: {@code lin1}, {@code lin2}.
 */
public class Mlp extends TorchBlock {

    private final Linear lin1;
    private final Linear lin2;
    private final Activation act;

    /** Activation functions used by SAM blocks. */
    public enum Activation implements UnaryOperator<NDArray> {
        /** Gaussian error linear unit (the image encoder's). */
        GELU {
            @Override
            public NDArray apply(NDArray x) {
                return ai.djl.nn.Activation.gelu(x); // DJL's class: name clash with ours
            }
        },
        /** Rectified linear unit (the two-way transformer's). */
        RELU {
            @Override
            public NDArray apply(NDArray x) {
                return ai.djl.nn.Activation.relu(x); // DJL's class: name clash with ours
            }
        };

        /** Parses "gelu"/"relu" (any case, also torch class names such as torch.nn.ReLU). */
        public static Activation parse(String s) {
            String l = s.toLowerCase(Locale.ROOT);
            if (l.contains("gelu")) {
                return GELU;
            }
            if (l.contains("relu")) {
                return RELU;
            }
            throw new MedsaException("unknown activation '" + s + "' (use gelu or relu)");
        }
    }

    /** An MLP {@code dim → hidden → dim} with PyTorch's child names {@code lin1} and {@code lin2}. */
    public Mlp(long dim, long hidden, Activation act) {
        this(dim, hidden, act, "lin1", "lin2");
    }

    /** With other child names (Med-SA's EfficientSAM-style MLP uses {@code layers.0.0} and {@code fc}). */
    protected Mlp(long dim, long hidden, Activation act, String firstName, String secondName) {
        this.lin1 = registerFirst(firstName, new Linear(dim, hidden));
        this.lin2 = registerSecond(secondName, new Linear(hidden, dim));
        this.act = act;
    }

    /**
     * SAM 2's two-layer {@code MLP} (the Hiera blocks' with GELU, the two-way transformer's with
     * ReLU): the same computation, children {@code layers.0} and {@code layers.1}.
     */
    public static Mlp layers(long dim, long hidden, Activation act) {
        return new Mlp(dim, hidden, act, "layers", "layers") {
            @Override
            protected Linear registerFirst(String name, Linear layer) {
                ModuleList<Linear> list = child(name, new ModuleList<>());
                return list.add(layer);
            }

            @Override
            @SuppressWarnings("unchecked")
            protected Linear registerSecond(String name, Linear layer) {
                return ((ModuleList<Linear>) namedChildren().get(name)).add(layer);
            }
        };
    }

    /** Registers the first layer; subclasses may nest it under containers. */
    protected Linear registerFirst(String name, Linear layer) {
        return child(name, layer);
    }

    /** Registers the second layer; subclasses may nest it under containers. */
    protected Linear registerSecond(String name, Linear layer) {
        return child(name, layer);
    }

    /** The first layer (dim → hidden). */
    public Linear lin1() {
        return lin1;
    }

    /** The second layer (hidden → dim). */
    public Linear lin2() {
        return lin2;
    }

    /** x: (..., dim) → (..., dim). */
    public NDArray forward(ParameterStore ps, NDArray x, boolean training) {
        return lin2.forward(ps, act.apply(lin1.forward(ps, x, training)), training);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, inputs.singletonOrThrow(), training));
    }
}
