package org.medsa.core.modeling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.List;
import org.medsa.core.nn.LayerNorm;
import org.medsa.core.nn.Mlp;
import org.medsa.core.nn.ModuleList;
import org.medsa.core.nn.Ops;
import org.medsa.core.nn.TorchBlock;

/**
 * SAM's two-way transformer: {@code layers.i} blocks, then a final token→image attention
 * ({@code final_attn_token_to_image}) and LayerNorm ({@code norm_final_attn}).
 */
public class TwoWayTransformer extends TorchBlock {

    /** Builds block {@code index}; Med-SA passes one with decoder adapters. */
    @FunctionalInterface
    public interface BlockFactory {
        /** Builds block {@code index} of the transformer. */
        TwoWayAttentionBlock create(int index, SamConfig.Transformer cfg);
    }

    /** SAM's own blocks (the first skips the positional encoding in its self-attention). */
    public static final BlockFactory SAM_BLOCKS = (i, cfg) -> new TwoWayAttentionBlock(cfg, i == 0);

    /** SAM 2's blocks: the same computation, the token MLP's layers named {@code mlp.layers.0} and {@code mlp.layers.1}. */
    public static final BlockFactory SAM2_BLOCKS = (i, cfg) -> new TwoWayAttentionBlock(cfg, i == 0,
            Mlp.layers(cfg.embeddingDim, cfg.mlpDim, Mlp.Activation.RELU));

    private final ModuleList<TwoWayAttentionBlock> layers;
    private final DecoderAttention finalAttnTokenToImage;
    private final LayerNorm normFinalAttn;

    /** SAM's transformer, with SAM's own blocks. */
    public TwoWayTransformer(SamConfig.Transformer cfg) {
        this(cfg, SAM_BLOCKS);
    }

    /** A transformer whose blocks {@code factory} builds. */
    public TwoWayTransformer(SamConfig.Transformer cfg, BlockFactory factory) {
        this.layers = child("layers", new ModuleList<>());
        for (int i = 0; i < cfg.depth; i++) {
            layers.add(factory.create(i, cfg));
        }
        this.finalAttnTokenToImage = child("final_attn_token_to_image",
                new DecoderAttention(cfg.embeddingDim, cfg.numHeads, cfg.attentionDownsampleRate));
        this.normFinalAttn = child("norm_final_attn", new LayerNorm(cfg.embeddingDim, TwoWayAttentionBlock.EPS));
    }

    /** The blocks in order (read-only). */
    public List<TwoWayAttentionBlock> layers() {
        return layers.items();
    }

    /**
     * @param image (B, C, h, w); {@code imagePe} (B, C, h, w); {@code tokens} (B, T, C)
     * @return queries (B, T, C) and keys (B, hw, C)
     */
    public TwoWayAttentionBlock.State forward(ParameterStore ps, NDArray image, NDArray imagePe, NDArray tokens,
            PromptContext promptContext, boolean training) {
        NDArray keys = tokensOf(image);
        NDArray keyPe = tokensOf(imagePe);
        return forward(ps, TwoWayAttentionBlock.ImageSide.of(keys, keyPe), keyPe, tokens, promptContext, training);
    }

    /**
     * The image side of the transformer computed once for any number of token sets: the first
     * block's {@link TwoWayAttentionBlock#prepareImage prepared image side} and the positional
     * encoding as tokens (1 or B, hw, C), both row-major.
     */
    public record PreparedImage(TwoWayAttentionBlock.ImageSide first, NDArray keyPe) {
        /** The same arrays as views owned by {@code manager} (see {@link Ops#viewIn}). */
        public PreparedImage viewIn(NDManager manager) {
            return new PreparedImage(first.viewIn(manager), Ops.viewIn(keyPe, manager));
        }
    }

    /**
     * Prepares {@code image} (B, C, h, w) with {@code imagePe} for {@link #forward(ParameterStore, PreparedImage, NDArray,
     * PromptContext, boolean)}.
     */
    public PreparedImage prepare(ParameterStore ps, NDArray image, NDArray imagePe, boolean training) {
        NDArray keys = Ops.contiguous(tokensOf(image));
        NDArray keyPe = Ops.contiguous(tokensOf(imagePe));
        return new PreparedImage(layers.get(0).prepareImage(ps, keys, keyPe, training), keyPe);
    }

    /** The transformer on a prepared image: equal to the forward on the image up to float rounding. */
    public TwoWayAttentionBlock.State forward(ParameterStore ps, PreparedImage image, NDArray tokens, PromptContext promptContext,
            boolean training) {
        return forward(ps, image.first(), image.keyPe(), tokens, promptContext, training);
    }

    private TwoWayAttentionBlock.State forward(ParameterStore ps, TwoWayAttentionBlock.ImageSide first, NDArray keyPe,
            NDArray tokens, PromptContext promptContext, boolean training) {
        NDArray queries = tokens;
        NDArray keys = first.keys();
        TwoWayAttentionBlock.ImageSide side = first;
        for (TwoWayAttentionBlock layer : layers.items()) {
            TwoWayAttentionBlock.State s = layer.forward(ps, queries, side, tokens, promptContext, training);
            queries = s.queries();
            keys = s.keys();
            side = TwoWayAttentionBlock.ImageSide.of(keys, keyPe);
        }
        NDArray q = queries.add(tokens);
        queries = normFinalAttn.forward(ps, queries.add(finalAttnTokenToImage.forward(ps, q, side.keysWithPe(), keys, training)),
                training);
        return new TwoWayAttentionBlock.State(queries, keys);
    }

    /** (B, C, h, w) → (B, hw, C), a view. */
    private static NDArray tokensOf(NDArray image) {
        long b = image.getShape().get(0);
        long c = image.getShape().get(1);
        return image.reshape(b, c, -1).transpose(0, 2, 1);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> params) {
        TwoWayAttentionBlock.State s = forward(ps, in.get(0), in.get(1), in.get(2), null, training);
        return new NDList(s.queries(), s.keys());
    }
}
