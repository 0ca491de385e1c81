package org.medsa.core.modeling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.medsa.core.nn.ActivationCheckpoints;
import org.medsa.core.nn.Conv2d;
import org.medsa.core.nn.Inits;
import org.medsa.core.nn.LayerNorm2d;
import org.medsa.core.nn.ModuleList;
import org.medsa.core.nn.Ops;
import org.medsa.core.nn.Precision;
import org.medsa.core.nn.TorchBlock;

/**
 * SAM's ViT image encoder (docs/model.md, "Image encoder"): patch embedding, absolute position embedding, windowed and
 * global blocks, and the neck. Children {@code patch_embed.proj}, {@code blocks.i}, {@code neck.0-3};
 * parameter {@code pos_embed} (1, g, g, D).
 */
public class ImageEncoderViT extends TorchBlock {

    /** Builds block {@code index}; Med-SA passes one that inserts adapters. */
    @FunctionalInterface
    public interface BlockFactory {
        /**
         * Builds block {@code index} ({@code windowSize} 0 for global attention; {@code gridSize}
         * the token grid side).
         */
        EncoderBlock create(int index, SamConfig.ImageEncoder cfg, int windowSize, int gridSize);
    }

    /** SAM's own blocks. */
    public static final BlockFactory SAM_BLOCKS = (i, cfg, ws, grid) -> new EncoderBlock(cfg, ws, grid);

    /** {@code PatchEmbed}: a strided convolution, output channel-last. */
    public static final class PatchEmbed extends TorchBlock {
        private final Conv2d proj;

        PatchEmbed(SamConfig.ImageEncoder cfg) {
            proj = child("proj", new Conv2d(cfg.inChans, cfg.embedDim, cfg.patchSize, cfg.patchSize, 0, true));
        }

        /** (B, 3, S, S) → (B, S/p, S/p, D). */
        public NDArray forward(ParameterStore ps, NDArray x, boolean training) {
            return proj.forward(ps, x, training).transpose(0, 2, 3, 1);
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> params) {
            return new NDList(forward(ps, in.singletonOrThrow(), training));
        }
    }

    private final SamConfig.ImageEncoder cfg;
    private final Parameter posEmbed;
    private final PatchEmbed patchEmbed;
    private DataType computeType = DataType.FLOAT32;
    private final ModuleList<EncoderBlock> blocks;
    private final ModuleList<Block> neck;

    /** SAM's encoder, with SAM's own blocks. */
    public ImageEncoderViT(SamConfig.ImageEncoder cfg) {
        this(cfg, SAM_BLOCKS);
    }

    /** An encoder whose blocks {@code factory} builds. */
    public ImageEncoderViT(SamConfig.ImageEncoder cfg, BlockFactory factory) {
        this.cfg = cfg;
        int grid = cfg.tokenGrid();
        this.posEmbed = cfg.useAbsPos
                ? param("pos_embed", new Shape(1, cfg.posEmbedSide(), cfg.posEmbedSide(), cfg.embedDim), Inits.zeros())
                : null;
        this.patchEmbed = child("patch_embed", new PatchEmbed(cfg));
        this.blocks = child("blocks", new ModuleList<>());
        Set<Integer> global = new HashSet<>();
        for (int g : cfg.globalAttnIndexes) {
            global.add(g);
        }
        for (int i = 0; i < cfg.depth; i++) {
            blocks.add(factory.create(i, cfg, global.contains(i) ? 0 : cfg.windowSize, grid));
        }
        this.neck = child("neck", new ModuleList<>());
        neck.add(new Conv2d(cfg.embedDim, cfg.outChans, 1, 1, 0, false));
        neck.add(new LayerNorm2d(cfg.outChans));
        neck.add(new Conv2d(cfg.outChans, cfg.outChans, 3, 1, 1, false));
        neck.add(new LayerNorm2d(cfg.outChans));
    }

    /** The encoder's arguments. */
    public SamConfig.ImageEncoder config() {
        return cfg;
    }

    /** The blocks in order (read-only). */
    public List<EncoderBlock> blocks() {
        return blocks.items();
    }

    /**
     * (B, 3, S, S) normalised, padded images → (B, out_chans, S/p, S/p) embeddings.
     *
     * @param params passed to every block (the 3D path reads the slice count from it; an {@link
     *     org.medsa.core.nn.ActivationCheckpoints} under its key checkpoints the blocks in training)
     * @param intermediates if not null, receives the patch-embedding output (before the position
     *     embedding) and each block's output, all channel-last
     */
    public NDArray forward(ParameterStore ps, NDArray x, boolean training, PairList<String, Object> params,
            List<NDArray> intermediates) {
        if (computeType != DataType.FLOAT32) {
            x = Precision.cast(x, computeType);
        }
        x = patchEmbed.forward(ps, x, training);
        if (intermediates != null) {
            intermediates.add(x);
        }
        if (posEmbed != null) {
            x = x.add(positionEmbedding(ps, x, training));
        }
        ActivationCheckpoints checkpoints = training ? ActivationCheckpoints.of(params) : null;
        for (EncoderBlock b : blocks.items()) {
            x = checkpoints != null
                    ? checkpoints.forward(b, ps, x, params)
                    : Ops.scoped(x, in -> b.forward(ps, in, training, params));
            if (intermediates != null) {
                intermediates.add(x);
            }
        }
        if (checkpoints != null) {
            x = checkpoints.resume(x);
        }
        if (computeType != DataType.FLOAT32) {
            x = Precision.cast(x, DataType.FLOAT32); // the neck, the decoder and the loss stay float32
        }
        return neck.forward(ps, new NDList(x.transpose(0, 3, 1, 2)), training, params).singletonOrThrow();
    }

    /**
     * Runs the patch embedding and the blocks in float16 (off by default; meant for GPUs, where
     * float16 matmuls run on tensor cores): float16 activations and float16 copies of the float32
     * weights, with LayerNorm statistics, the attention softmax and the adapters in float32, and the
     * neck, decoder and loss in float32. Weights keep their float32 master copies, so adapters
     * train as usual. On a CPU it works but is slower than float32. See docs/performance.md.
     */
    public void halfPrecision(boolean on) {
        this.computeType = on ? DataType.FLOAT16 : DataType.FLOAT32;
    }

    /**
     * The type the patch embedding and the blocks compute in: FLOAT32 (the default), FLOAT16
     * ({@link #halfPrecision(boolean)}) or BFLOAT16 (the same rules; on CPUs with AVX512-BF16 or
     * AMX, and on GPUs, its matmuls run at about twice the float32 rate).
     */
    public void computeType(DataType type) {
        if (type != DataType.FLOAT32 && type != DataType.FLOAT16 && type != DataType.BFLOAT16) {
            throw new IllegalArgumentException("the encoder computes in float32, float16 or bfloat16, not " + type);
        }
        this.computeType = type;
    }

    /** The type the blocks compute in ({@link #computeType(DataType)}). */
    public DataType computeType() {
        return computeType;
    }

    /** True if the blocks run in float16 or bfloat16. */
    public boolean halfPrecision() {
        return computeType != DataType.FLOAT32;
    }

    /**
     * The absolute position embedding for the token grid of {@code tokens} (B, h, w, D): as
     * stored when the grid matches, else resized bicubically (align_corners False) the way Med-SA
     * does for inputs other than the one the embedding was made for.
     */
    public NDArray positionEmbedding(ParameterStore ps, NDArray tokens, boolean training) {
        NDArray pe = value(ps, posEmbed, tokens, training);
        long h = tokens.getShape().get(1);
        long w = tokens.getShape().get(2);
        if (pe.getShape().get(1) == h && pe.getShape().get(2) == w) {
            return pe;
        }
        NDArray chw = pe.transpose(0, 3, 1, 2);
        return Ops.interpolate(chw, new long[] {h, w}, Ops.Mode.BICUBIC, false).transpose(0, 2, 3, 1);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, inputs.singletonOrThrow(), training, params, null));
    }
}
