package org.medsa.core.modeling.sam2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.medsa.core.nn.Conv2d;
import org.medsa.core.nn.TorchBlock;

/** Hiera's patch embedding: a 7×7 convolution with stride 4 and padding 3 ({@code proj}), to channel-last tokens. */
public class PatchEmbed extends TorchBlock {

    private final Conv2d proj;

    /** Three input channels to {@code embedDim}. */
    public PatchEmbed(long embedDim) {
        this.proj = child("proj", new Conv2d(3, embedDim, 7, 4, 3, true));
    }

    /** (B, 3, S, S) → (B, S/4, S/4, embed_dim). */
    public NDArray forward(ParameterStore ps, NDArray x, boolean training) {
        return proj.forward(ps, x, training).transpose(0, 2, 3, 1);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, inputs.singletonOrThrow(), training));
    }
}
