package org.medsa.adapters;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.medsa.core.nn.Inits;
import org.medsa.core.nn.Linear;
import org.medsa.core.nn.Mlp;
import org.medsa.core.nn.Precision;
import org.medsa.core.nn.TorchBlock;

/**
 * A bottleneck adapter (docs/model.md, "Adapter"): down-projection {@code D_fc1} (dim → width), activation,
 * up-projection {@code D_fc2} (width → dim); output {@code x + y} with a skip, else {@code y}.
 * The names are the official Med-SA code's, so its checkpoints load as they are.
 */
public class Adapter extends TorchBlock {

    /** How the up-projection starts. */
    public enum Init {
        /** PyTorch's nn.Linear default, as the official code: adapters perturb SAM from step 0. */
        TORCH_DEFAULT,
        /** Zero up-projection (AdaptFormer-style): the adapted model starts exactly at SAM. */
        ZERO_UP
    }

    private final Linear fc1;
    private final Linear fc2;
    private final Mlp.Activation activation;
    private final boolean skip;

    /** An adapter {@code dim → width → dim}; {@code skip} adds the input to the output. */
    public Adapter(long dim, long width, Mlp.Activation activation, boolean skip, Init init) {
        this.fc1 = child("D_fc1", new Linear(dim, width));
        this.fc2 = child("D_fc2", init == Init.ZERO_UP
                ? new Linear(width, dim, true, Inits.zeros(), Inits.zeros())
                : new Linear(width, dim));
        this.activation = activation;
        this.skip = skip;
    }

    /** The bottleneck width for a ratio of the input width (the official code uses ⌊0.25·D⌋). */
    public static long widthFor(long dim, double ratio) {
        return (long) Math.floor(dim * ratio);
    }

    /** x: (..., dim) → (..., dim): {@code x + y} with a skip, else {@code y}. */
    public NDArray forward(ParameterStore ps, NDArray x, boolean training) {
        // trainable: computed in float32 when the frozen encoder runs in float16
        return Precision.inFloat32(x, x32 -> {
            NDArray y = fc2.forward(ps, activation.apply(fc1.forward(ps, x32, training)), training);
            return skip ? x32.add(y) : y;
        });
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, in.singletonOrThrow(), training));
    }
}
