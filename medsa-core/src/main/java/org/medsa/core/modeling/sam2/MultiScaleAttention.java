package org.medsa.core.modeling.sam2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.medsa.core.nn.Linear;
import org.medsa.core.nn.Ops;
import org.medsa.core.nn.TorchBlock;

/**
 * Hiera's attention ({@code MultiScaleAttention}): one qkv projection to dim_out, queries
 * optionally max-pooled 2×2 (at a stage change, so the block halves the token grid), scaled
 * dot-product attention per head, and an output projection. Children {@code qkv}, {@code proj}.
 */
public class MultiScaleAttention extends TorchBlock {

    private final int numHeads;
    private final long dimOut;
    private final boolean poolQueries;
    private final Linear qkv;
    private final Linear proj;

    /** Attention from {@code dim} to {@code dimOut} channels with {@code numHeads} heads, pooling queries if asked. */
    public MultiScaleAttention(long dim, long dimOut, int numHeads, boolean poolQueries) {
        this.numHeads = numHeads;
        this.dimOut = dimOut;
        this.poolQueries = poolQueries;
        this.qkv = child("qkv", new Linear(dim, dimOut * 3));
        this.proj = child("proj", new Linear(dimOut, dimOut));
    }

    /** x (B, H, W, dim) → (B, H', W', dim_out), H' = H / 2 with query pooling. */
    public NDArray forward(ParameterStore ps, NDArray x, boolean training) {
        long b = x.getShape().get(0);
        long h = x.getShape().get(1);
        long w = x.getShape().get(2);
        long hd = dimOut / numHeads;
        NDArray all = qkv.forward(ps, x, training).reshape(b, h * w, 3, numHeads, hd);
        NDArray q = all.get(":, :, 0");
        NDArray k = all.get(":, :, 1");
        NDArray v = all.get(":, :, 2");
        if (poolQueries) {
            q = MultiScaleBlock.pool(q.reshape(b, h, w, dimOut));
            h = q.getShape().get(1);
            w = q.getShape().get(2);
            q = q.reshape(b, h * w, numHeads, hd);
        }
        NDArray out = Ops.attention(q.transpose(0, 2, 1, 3), k.transpose(0, 2, 1, 3), v.transpose(0, 2, 1, 3));
        return proj.forward(ps, out.transpose(0, 2, 1, 3).reshape(b, h, w, dimOut), training);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, inputs.singletonOrThrow(), training));
    }
}
