package org.medsa.core.modeling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.medsa.core.nn.LayerNorm;
import org.medsa.core.nn.ModuleList;
import org.medsa.core.nn.TorchBlock;

import java.util.List;

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
        long b = image.getShape().get(0);
        long c = image.getShape().get(1);
        NDArray keys = image.reshape(b, c, -1).transpose(0, 2, 1);
        NDArray keyPe = imagePe.reshape(imagePe.getShape().get(0), c, -1).transpose(0, 2, 1);
        NDArray queries = tokens;
        for (TwoWayAttentionBlock layer : layers.items()) {
            TwoWayAttentionBlock.State s = layer.forward(ps, queries, keys, tokens, keyPe, promptContext, training);
            queries = s.queries();
            keys = s.keys();
        }
        NDArray q = queries.add(tokens);
        NDArray k = keys.add(keyPe);
        queries = normFinalAttn.forward(ps, queries.add(finalAttnTokenToImage.forward(ps, q, k, keys, training)), training);
        return new TwoWayAttentionBlock.State(queries, keys);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> params) {
        TwoWayAttentionBlock.State s = forward(ps, in.get(0), in.get(1), in.get(2), null, training);
        return new NDList(s.queries(), s.keys());
    }
}
