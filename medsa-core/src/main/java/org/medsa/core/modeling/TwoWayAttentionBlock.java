package org.medsa.core.modeling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.medsa.core.nn.LayerNorm;
import org.medsa.core.nn.Mlp;
import org.medsa.core.nn.Ops;
import org.medsa.core.nn.TorchBlock;

/**
 * One block of SAM's two-way transformer (docs/model.md, "Mask decoder"): token self-attention, token→image
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

    /** @param mlp a custom token MLP (Med-SA's or SAM 2's differently named one), or null for SAM's */
    public TwoWayAttentionBlock(SamConfig.Transformer cfg, boolean skipFirstLayerPe, Mlp mlp) {
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
     * The image side of a block's two cross-attentions: the image tokens {@code keys} (B, HW, C),
     * {@code keysWithPe} = keys + their positional encoding, and, when {@link #prepareImage} made
     * it for the first block (whose keys are the image alone), both attentions' projections of the
     * image tokens, computed once for every prompt decoded against the image (null otherwise).
     */
    public record ImageSide(NDArray keys, NDArray keysWithPe, DecoderAttention.ProjectedKeys tokenToImage,
            DecoderAttention.ProjectedQueries imageToToken) {

        /** Image tokens and their encoding, nothing projected. */
        public static ImageSide of(NDArray keys, NDArray keyPe) {
            return new ImageSide(keys, keys.add(keyPe), null, null);
        }

        /** The same arrays as views owned by {@code manager} (see {@link Ops#viewIn}). */
        public ImageSide viewIn(NDManager manager) {
            return new ImageSide(Ops.viewIn(keys, manager), Ops.viewIn(keysWithPe, manager),
                    tokenToImage == null ? null : tokenToImage.viewIn(manager),
                    imageToToken == null ? null : imageToToken.viewIn(manager));
        }
    }

    /**
     * The image side with both cross-attentions' projections of the image tokens computed now:
     * valid for this block when {@code keys} are its input for every prompt, i.e. in the first
     * block. Nothing of it depends on the adapters' hooks, which act on the tokens and on the
     * block's output.
     */
    public ImageSide prepareImage(ParameterStore ps, NDArray keys, NDArray keyPe, boolean training) {
        NDArray k = keys.add(keyPe);
        return new ImageSide(keys, k, crossAttnTokenToImage.projectKeys(ps, k, keys, training),
                crossAttnImageToToken.projectQueries(ps, k, training));
    }

    /**
     * @param queries tokens (B, T, C); {@code queryPe} the original tokens
     * @param keys flattened image (B, HW, C); {@code keyPe} its positional encoding
     * @param promptContext what decoder adapters may condition on (null in plain SAM)
     */
    public State forward(ParameterStore ps, NDArray queries, NDArray keys, NDArray queryPe, NDArray keyPe,
            PromptContext promptContext, boolean training) {
        return forward(ps, queries, ImageSide.of(keys, keyPe), queryPe, promptContext, training);
    }

    /** As above, with the image side given (and maybe prepared, see {@link #prepareImage}). */
    public State forward(ParameterStore ps, NDArray queries, ImageSide image, NDArray queryPe, PromptContext promptContext,
            boolean training) {
        queries = norm1.forward(ps, selfAttention(ps, queries, queryPe, training), training);

        NDArray q = queries.add(queryPe);
        NDArray t2i = image.tokenToImage() != null ? crossAttnTokenToImage.forward(ps, q, image.tokenToImage(), training)
                : crossAttnTokenToImage.forward(ps, q, image.keysWithPe(), image.keys(), training);
        queries = norm2.forward(ps, queries.add(adaptTokenToImage(ps, t2i, promptContext, training)), training);

        queries = norm3.forward(ps, queries.add(tokenMlp(ps, queries, training)), training);

        q = queries.add(queryPe);
        NDArray sum = image.imageToToken() != null
                ? crossAttnImageToToken.forwardResidual(ps, image.keys(), image.imageToToken(), q, queries, training)
                : crossAttnImageToToken.forwardResidual(ps, image.keys(), image.keysWithPe(), q, queries, training);
        NDArray keys = norm4.forward(ps, sum, training);
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
