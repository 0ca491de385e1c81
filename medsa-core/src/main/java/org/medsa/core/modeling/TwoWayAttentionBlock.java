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

    /** Token self-attention ({@code self_attn}). */
    protected final DecoderAttention selfAttn;
    /** LayerNorm after the self-attention. */
    protected final LayerNorm norm1;
    /** Token→image cross-attention ({@code cross_attn_token_to_image}). */
    protected final DecoderAttention crossAttnTokenToImage;
    /** LayerNorm after the token→image attention. */
    protected final LayerNorm norm2;
    /** The token MLP (ReLU in SAM). */
    protected final Mlp mlp;
    /** LayerNorm after the token MLP. */
    protected final LayerNorm norm3;
    /** LayerNorm of the image tokens after the image→token attention. */
    protected final LayerNorm norm4;
    /** Image→token cross-attention ({@code cross_attn_image_to_token}). */
    protected final DecoderAttention crossAttnImageToToken;
    /** True in the first block: its self-attention replaces the tokens, without PE or residual. */
    protected final boolean skipFirstLayerPe;

    /** Tokens (queries) and flattened image (keys) after a block. */
    public record State(NDArray queries, NDArray keys) {}

    /** SAM's block; {@code skipFirstLayerPe} is true for the first block of the transformer. */
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
        queries = norm1.forward(ps, selfAttention(ps, queries, queryPe, training), training);

        NDArray q = queries.add(queryPe);
        NDArray k = keys.add(keyPe);
        NDArray attn = adaptTokenToImage(ps, crossAttnTokenToImage.forward(ps, q, k, keys, training), promptContext, training);
        queries = norm2.forward(ps, queries.add(attn), training);

        queries = norm3.forward(ps, queries.add(tokenMlp(ps, queries, training)), training);

        q = queries.add(queryPe);
        // k is still keys + keyPe: the keys change only below
        keys = norm4.forward(ps, crossAttnImageToToken.forwardResidual(ps, keys, k, q, queries, training), training);
        return new State(queries, adaptImageTokens(ps, keys, training));
    }

    /**
     * Token self-attention with its residual, before LN1. SAM's first block replaces the tokens
     * (no PE, no residual); later blocks add the PE to queries and keys only.
     */
    protected NDArray selfAttention(ParameterStore ps, NDArray queries, NDArray queryPe, boolean training) {
        if (skipFirstLayerPe) {
            return selfAttn.forward(ps, queries, queries, queries, training);
        }
        NDArray q = queries.add(queryPe);
        return queries.add(selfAttn.forward(ps, q, q, queries, training));
    }

    /** Hook on the token→image attention output, inside the residual (decoder adapters). */
    protected NDArray adaptTokenToImage(ParameterStore ps, NDArray attnOut, PromptContext ctx, boolean training) {
        return attnOut;
    }

    /** The token MLP's output, before its residual. */
    protected NDArray tokenMlp(ParameterStore ps, NDArray queries, boolean training) {
        return mlp.forward(ps, queries, training);
    }

    /** Hook on the image tokens after the image→token attention and LN4. */
    protected NDArray adaptImageTokens(ParameterStore ps, NDArray keys, boolean training) {
        return keys;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> params) {
        State s = forward(ps, in.get(0), in.get(1), in.get(2), in.get(3), null, training);
        return new NDList(s.queries(), s.keys());
    }
}
