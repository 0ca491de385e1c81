package org.medsa.core.modeling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.medsa.core.nn.Linear;
import org.medsa.core.nn.Ops;
import org.medsa.core.nn.TorchBlock;

/**
 * The two-way transformer's attention: q/k/v projections to embedding_dim / downsample_rate,
 * heads, softmax(q·kᵀ/√d)·v, output projection. Children {@code q_proj}, {@code k_proj},
 * {@code v_proj}, {@code out_proj}.
 */
public class DecoderAttention extends TorchBlock {

    private final int numHeads;
    private final Linear qProj;
    private final Linear kProj;
    private final Linear vProj;
    private final Linear outProj;

    /**
     * Attention of width {@code embeddingDim} with {@code numHeads} heads, computed at {@code
     * embeddingDim / downsampleRate}.
     */
    public DecoderAttention(int embeddingDim, int numHeads, int downsampleRate) {
        int internal = embeddingDim / downsampleRate;
        this.numHeads = numHeads;
        this.qProj = child("q_proj", new Linear(embeddingDim, internal));
        this.kProj = child("k_proj", new Linear(embeddingDim, internal));
        this.vProj = child("v_proj", new Linear(embeddingDim, internal));
        this.outProj = child("out_proj", new Linear(internal, embeddingDim));
    }

    /** q (B, Nq, C), k and v (B, Nk, C) → (B, Nq, C). Batch 1 broadcasts against batch B. */
    public NDArray forward(ParameterStore ps, NDArray q, NDArray k, NDArray v, boolean training) {
        NDArray qh = separateHeads(qProj.forward(ps, q, training));
        NDArray kh = separateHeads(kProj.forward(ps, k, training));
        NDArray vh = separateHeads(vProj.forward(ps, v, training));
        long cPerHead = qh.getShape().get(3);
        NDArray attn = Ops.div(qh.matMul(kh.transpose(0, 1, 3, 2)), Math.sqrt(cPerHead));
        attn = attn.softmax(-1);
        NDArray out = attn.matMul(vh);
        long b = out.getShape().get(0);
        long n = out.getShape().get(2);
        out = out.transpose(0, 2, 1, 3).reshape(b, n, -1);
        return outProj.forward(ps, out, training);
    }

    private NDArray separateHeads(NDArray x) {
        long b = x.getShape().get(0);
        long n = x.getShape().get(1);
        long c = x.getShape().get(2);
        return x.reshape(b, n, numHeads, c / numHeads).transpose(0, 2, 1, 3);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, in.get(0), in.get(1), in.get(2), training));
    }
}
