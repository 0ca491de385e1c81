package org.medsa.core.modeling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.medsa.core.nn.LayerNorm;
import org.medsa.core.nn.Mlp;
import org.medsa.core.nn.Ops;
import org.medsa.core.nn.TorchBlock;

/**
 * A ViT block of SAM's image encoder: LN → (windowed or global) attention → residual, then
 * LN → MLP → residual. Children {@code norm1}, {@code attn}, {@code norm2}, {@code mlp}.
 * Med-SA's adapted blocks extend this class.
 */
public class EncoderBlock extends TorchBlock {

    /** Layer-norm epsilon of the encoder (SAM passes {@code LayerNorm(eps=1e-6)}). */
    public static final double EPS = 1e-6;

    /** LayerNorm before the attention. */
    protected final LayerNorm norm1;
    /** The block's self-attention. */
    protected final EncoderAttention attn;
    /** LayerNorm before the MLP. */
    protected final LayerNorm norm2;
    /** The GELU MLP (embed_dim → embed_dim · mlp_ratio → embed_dim). */
    protected final Mlp mlp;
    /** Window side in tokens; 0 for global attention. */
    protected final int windowSize;

    /**
     * @param windowSize 0 for global attention, else the window side
     * @param gridSize the encoder's token grid side (the table size of global blocks)
     */
    public EncoderBlock(SamConfig.ImageEncoder cfg, int windowSize, int gridSize, String[] relNames) {
        long dim = cfg.embedDim;
        this.windowSize = windowSize;
        this.norm1 = child("norm1", new LayerNorm(dim, EPS));
        this.attn = child("attn", new EncoderAttention(dim, cfg.numHeads, cfg.qkvBias,
                windowSize == 0 ? gridSize : windowSize, cfg.useRelPos ? relNames : null));
        this.norm2 = child("norm2", new LayerNorm(dim, EPS));
        this.mlp = child("mlp", new Mlp(dim, (long) (dim * cfg.mlpRatio), Mlp.Activation.GELU));
    }

    /** A block with SAM's relative position table names, {@code rel_pos_h} and {@code rel_pos_w}. */
    public EncoderBlock(SamConfig.ImageEncoder cfg, int windowSize, int gridSize) {
        this(cfg, windowSize, gridSize, new String[] {"rel_pos_h", "rel_pos_w"});
    }

    /** The block's self-attention. */
    public EncoderAttention attention() {
        return attn;
    }

    /** Window side in tokens; 0 for global attention. */
    public int windowSize() {
        return windowSize;
    }

    /** x: (B, H, W, C) → (B, H, W, C). */
    public NDArray forward(ParameterStore ps, NDArray x, boolean training, PairList<String, Object> params) {
        NDArray shortcut = x;
        x = norm1.forward(ps, x, training);
        long h = x.getShape().get(1);
        long w = x.getShape().get(2);
        if (windowSize > 0) {
            x = Ops.windowPartition(x, windowSize);
        }
        x = attn.forward(ps, x, training);
        if (windowSize > 0) {
            x = Ops.windowUnpartition(x, windowSize, h, w);
        }
        x = shortcut.add(x);
        return x.add(mlp.forward(ps, norm2.forward(ps, x, training), training));
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, inputs.singletonOrThrow(), training, params));
    }
}
