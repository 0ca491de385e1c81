package org.medsa.core.modeling.sam2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.medsa.core.nn.LayerNorm;
import org.medsa.core.nn.Linear;
import org.medsa.core.nn.Mlp;
import org.medsa.core.nn.TorchBlock;

/**
 * One memory-attention layer ({@code MemoryAttentionLayer}), pre-norm: self-attention of the
 * frame's tokens, cross-attention to the memories (keys with their positional encoding), and a
 * feed-forward network, each with its residual. Children {@code self_attn}, {@code
 * cross_attn_image}, {@code linear1}, {@code linear2}, {@code norm1-3}.
 */
public class MemoryAttentionLayer extends TorchBlock {

    /** LayerNorm epsilon (PyTorch's default). */
    static final double EPS = 1e-5;

    private final Sam2Config.MemoryAttention cfg;
    private final RoPEAttention selfAttn;
    private final RoPEAttention crossAttnImage;
    private final Linear linear1;
    private final Linear linear2;
    private final LayerNorm norm1;
    private final LayerNorm norm2;
    private final LayerNorm norm3;
    private final Mlp.Activation activation;

    /** A layer for {@code cfg}. */
    public MemoryAttentionLayer(Sam2Config.MemoryAttention cfg) {
        this.cfg = cfg;
        int d = cfg.dModel;
        this.selfAttn = child("self_attn", new RoPEAttention(d, cfg.selfAttention));
        this.crossAttnImage = child("cross_attn_image", new RoPEAttention(d, cfg.crossAttention));
        this.linear1 = child("linear1", new Linear(d, cfg.dimFeedforward));
        this.linear2 = child("linear2", new Linear(cfg.dimFeedforward, d));
        this.norm1 = child("norm1", new LayerNorm(d, EPS));
        this.norm2 = child("norm2", new LayerNorm(d, EPS));
        this.norm3 = child("norm3", new LayerNorm(d, EPS));
        this.activation = Mlp.Activation.parse(cfg.activation);
    }

    /**
     * @param tgt the frame's tokens (B, N, d); {@code queryPos} their positional encoding
     * @param memory (B, M, kv) memories; {@code memoryPos} their positional encoding
     * @param unrotatedKeys object-pointer tokens at the end of the memories
     */
    public NDArray forward(ParameterStore ps, NDArray tgt, NDArray memory, NDArray memoryPos, NDArray queryPos,
            int unrotatedKeys, boolean training) {
        return forward(ps, tgt, memory, cfg.posEncAtCrossAttnKeys ? memory.add(memoryPos) : memory, queryPos, unrotatedKeys,
                training, true);
    }

    /** As above with the keys' input (memories plus encoding, or memories) already made, once for every layer. */
    NDArray forward(ParameterStore ps, NDArray tgt, NDArray memory, NDArray keys, NDArray queryPos, int unrotatedKeys,
            boolean training, boolean keysMade) {
        NDArray t2 = norm1.forward(ps, tgt, training);
        NDArray qk = cfg.posEncAtAttn ? t2.add(queryPos) : t2;
        tgt = tgt.add(selfAttn.forward(ps, qk, qk, t2, 0, training));
        t2 = norm2.forward(ps, tgt, training);
        NDArray q = cfg.posEncAtCrossAttnQueries ? t2.add(queryPos) : t2;
        tgt = tgt.add(crossAttnImage.forward(ps, q, keys, memory, unrotatedKeys, training));
        t2 = norm3.forward(ps, tgt, training);
        return tgt.add(linear2.forward(ps, activation.apply(linear1.forward(ps, t2, training)), training));
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, in.get(0), in.get(1), in.get(2), in.get(3), 0, training));
    }
}
