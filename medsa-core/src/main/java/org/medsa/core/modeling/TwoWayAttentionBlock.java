package org.medsa.core.modeling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.medsa.core.nn.LayerNorm;
import org.medsa.core.nn.Mlp;
import org.medsa.core.nn.TorchBlock;

/**
 * One block of SAM's two-way transformer (spec §A.4): token self-attention, token→image
 * cross-attention, token MLP, image→token cross-attention, each followed by a LayerNorm
 * (eps 1e-5). Med-SA's decoder adapters extend this class.
 */
public class TwoWayAttentionBlock extends TorchBlock {

    /** Layer-norm epsilon of the decoder transformer (PyTorch's default). */
    public static final double EPS = 1e-5;

    protected final DecoderAttention selfAttn;
    protected final LayerNorm norm1;
    protected final DecoderAttention crossAttnTokenToImage;
    protected final LayerNorm norm2;
    protected final Mlp mlp;
    protected final LayerNorm norm3;
    protected final LayerNorm norm4;
    protected final DecoderAttention crossAttnImageToToken;
    protected final boolean skipFirstLayerPe;

    /** Tokens (queries) and flattened image (keys) after a block. */
    public record State(NDArray queries, NDArray keys) {}

    public TwoWayAttentionBlock(SamConfig.Transformer cfg, boolean skipFirstLayerPe) {
        this(cfg, skipFirstLayerPe, null);
    }

    /** @param mlp a custom token MLP (Med-SA's differently named one), or null for SAM's */
    protected TwoWayAttentionBlock(SamConfig.Transformer cfg, boolean skipFirstLayerPe, Mlp mlp) {
        int c = cfg.embeddingDim;
        this.selfAttn = child("self_attn", new DecoderAttention(c, cfg.numHeads, 1));
        this.norm1 = child("norm1", new LayerNorm(c, EPS));
        this.crossAttnTokenToImage = child("cross_attn_token_to_image",
                new DecoderAttention(c, cfg.numHeads, cfg.attentionDownsampleRate));
        this.norm2 = child("norm2", new LayerNorm(c, EPS));
        this.mlp = child("mlp", mlp != null ? mlp : new Mlp(c, cfg.mlpDim, Mlp.Activation.RELU));
        this.norm3 = child("norm3", new LayerNorm(c, EPS));
        this.norm4 = child("norm4", new LayerNorm(c, EPS));
        this.crossAttnImageToToken = child("cross_attn_image_to_token",
                new DecoderAttention(c, cfg.numHeads, cfg.attentionDownsampleRate));
        this.skipFirstLayerPe = skipFirstLayerPe;
    }

    /**
     * @param queries tokens (B, T, C); {@code queryPe} the original tokens
     * @param keys flattened image (B, HW, C); {@code keyPe} its positional encoding
     * @param promptContext what decoder adapters may condition on (null in plain SAM)
     */
    public State forward(ParameterStore ps, NDArray queries, NDArray keys, NDArray queryPe, NDArray keyPe,
            PromptContext promptContext, boolean training) {
        if (skipFirstLayerPe) {
            queries = selfAttn.forward(ps, queries, queries, queries, training);
        } else {
            NDArray q = queries.add(queryPe);
            queries = queries.add(selfAttn.forward(ps, q, q, queries, training));
        }
        queries = norm1.forward(ps, queries, training);

        NDArray q = queries.add(queryPe);
        NDArray k = keys.add(keyPe);
        queries = norm2.forward(ps, queries.add(crossAttnTokenToImage.forward(ps, q, k, keys, training)), training);

        queries = norm3.forward(ps, queries.add(mlp.forward(ps, queries, training)), training);

        q = queries.add(queryPe);
        k = keys.add(keyPe);
        keys = norm4.forward(ps, keys.add(crossAttnImageToToken.forward(ps, k, q, queries, training)), training);
        return new State(queries, keys);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> params) {
        State s = forward(ps, in.get(0), in.get(1), in.get(2), in.get(3), null, training);
        return new NDList(s.queries(), s.keys());
    }
}
