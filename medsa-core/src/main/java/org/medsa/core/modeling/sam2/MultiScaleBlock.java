package org.medsa.core.modeling.sam2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.medsa.core.nn.LayerNorm;
import org.medsa.core.nn.Linear;
import org.medsa.core.nn.Mlp;
import org.medsa.core.nn.Ops;
import org.medsa.core.nn.TorchBlock;

/**
 * One Hiera block ({@code MultiScaleBlock}): LayerNorm (eps 1e-6) → attention in windows (or
 * global) → residual, then LayerNorm → MLP (GELU) → residual. At a stage change the block widens
 * the channels ({@code proj} on the normalised input for the shortcut) and max-pools both the
 * shortcut and the queries, halving the grid. Children {@code norm1}, {@code attn}, {@code norm2},
 * {@code mlp.layers.0-1}, {@code proj}.
 */
public class MultiScaleBlock extends TorchBlock {

    /** Hiera's LayerNorm epsilon. */
    static final double EPS = 1e-6;

    private final long dim;
    private final long dimOut;
    private final int windowSize;
    private final boolean pools;
    private final LayerNorm norm1;
    private final MultiScaleAttention attn;
    private final LayerNorm norm2;
    private final Mlp mlp;
    private final Linear proj;

    /**
     * A block from {@code dim} to {@code dimOut} channels.
     *
     * @param windowSize side of the attention windows, 0 for global attention
     * @param pools whether the block pools 2×2 (the first block of a pooled stage)
     */
    public MultiScaleBlock(long dim, long dimOut, int numHeads, int windowSize, boolean pools) {
        this.dim = dim;
        this.dimOut = dimOut;
        this.windowSize = windowSize;
        this.pools = pools;
        this.norm1 = child("norm1", new LayerNorm(dim, EPS));
        this.attn = child("attn", new MultiScaleAttention(dim, dimOut, numHeads, pools));
        this.norm2 = child("norm2", new LayerNorm(dimOut, EPS));
        this.mlp = child("mlp", Mlp.layers(dimOut, dimOut * 4, Mlp.Activation.GELU));
        this.proj = dim != dimOut ? child("proj", new Linear(dim, dimOut)) : null;
    }

    /** 2×2 max pooling with stride 2 of channel-last (B, H, W, C), as {@code nn.MaxPool2d} does on NCHW. */
    static NDArray pool(NDArray x) {
        NDArray nchw = x.transpose(0, 3, 1, 2);
        return Pool.maxPool2d(nchw, new Shape(2, 2), new Shape(2, 2), new Shape(0, 0), false).transpose(0, 2, 3, 1);
    }

    /** x (B, H, W, dim) → (B, H', W', dim_out). */
    public NDArray forward(ParameterStore ps, NDArray x, boolean training) {
        NDArray shortcut = x;
        NDArray xn = norm1.forward(ps, x, training);
        if (dim != dimOut) {
            shortcut = proj.forward(ps, xn, training);
            if (pools) {
                shortcut = pool(shortcut);
            }
        }
        long h = xn.getShape().get(1);
        long w = xn.getShape().get(2);
        NDArray a = windowSize > 0 ? Ops.windowPartition(xn, windowSize) : xn;
        a = attn.forward(ps, a, training);
        if (windowSize > 0) {
            int ws = windowSize;
            if (pools) {
                ws = windowSize / 2;
                h = shortcut.getShape().get(1);
                w = shortcut.getShape().get(2);
            }
            a = Ops.windowUnpartition(a, ws, h, w);
        }
        x = shortcut.add(afterAttention(ps, a, training));
        return x.add(mlpBranch(ps, norm2.forward(ps, x, training), training));
    }

    /** The attention output (B, H', W', dim_out) before the residual; subclasses adapt it (Med-SA's Space adapter). */
    protected NDArray afterAttention(ParameterStore ps, NDArray attnOut, boolean training) {
        return attnOut;
    }

    /** The MLP branch on the normalised tokens; subclasses add to it (Med-SA's MLP adapter, in parallel). */
    protected NDArray mlpBranch(ParameterStore ps, NDArray xn, boolean training) {
        return mlp.forward(ps, xn, training);
    }

    /** The block's output width. */
    public long dimOut() {
        return dimOut;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, inputs.singletonOrThrow(), training));
    }
}
