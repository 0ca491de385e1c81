package org.medsa.core.modeling.sam2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.medsa.core.nn.ActivationCheckpoints;
import org.medsa.core.nn.Inits;
import org.medsa.core.nn.ModuleList;
import org.medsa.core.nn.Ops;
import org.medsa.core.nn.Precision;
import org.medsa.core.nn.TorchBlock;

/**
 * SAM 2's image trunk, Hiera (docs/sam2.md, "Image encoder"): a patch embedding of stride 4, the
 * background-plus-window positional embedding ({@code pos_embed} interpolated bicubically to the
 * token grid, plus {@code pos_embed_window} tiled over it), then stages of {@link
 * MultiScaleBlock}s; the first block of each pooled stage halves the grid and widens the channels.
 * It returns the last block of every stage, highest resolution first, as (B, C, H, W).
 */
public class Hiera extends TorchBlock {

    private final Sam2Config.Trunk cfg;
    private final Parameter posEmbed;
    private final Parameter posEmbedWindow;
    private final PatchEmbed patchEmbed;
    private final ModuleList<MultiScaleBlock> blocks;
    private final int[] stageEnds;

    /** Builds block {@code index} of the trunk (Med-SA puts adapters in them). */
    @FunctionalInterface
    public interface BlockFactory {
        /**
         * @param windowSize side of the attention windows, 0 for global attention
         * @param pools whether the block pools 2×2
         */
        MultiScaleBlock create(int index, long dim, long dimOut, int numHeads, int windowSize, boolean pools);
    }

    /** SAM 2's own blocks. */
    public static final BlockFactory SAM2_BLOCKS = (i, dim, dimOut, heads, window, pools) -> new MultiScaleBlock(dim, dimOut,
            heads, window, pools);

    /** The trunk for {@code cfg}. */
    public Hiera(Sam2Config.Trunk cfg) {
        this(cfg, SAM2_BLOCKS);
    }

    /** The trunk for {@code cfg} whose blocks {@code factory} builds. */
    public Hiera(Sam2Config.Trunk cfg, BlockFactory factory) {
        this.cfg = cfg;
        int[] bkg = cfg.windowPosEmbedBkgSpatialSize;
        int w0 = cfg.windowSpec[0];
        this.posEmbed = param("pos_embed", new Shape(1, cfg.embedDim, bkg[0], bkg[1]), Inits.zeros());
        this.posEmbedWindow = param("pos_embed_window", new Shape(1, cfg.embedDim, w0, w0), Inits.zeros());
        this.patchEmbed = child("patch_embed", new PatchEmbed(cfg.embedDim));
        this.blocks = child("blocks", new ModuleList<>());
        int depth = Arrays.stream(cfg.stages).sum();
        stageEnds = new int[cfg.stages.length];
        for (int s = 0, sum = 0; s < cfg.stages.length; s++) {
            sum += cfg.stages[s];
            stageEnds[s] = sum - 1;
        }
        List<Integer> qPoolBlocks = new ArrayList<>();
        for (int s = 0; s < Math.min(cfg.qPool, stageEnds.length - 1); s++) {
            qPoolBlocks.add(stageEnds[s] + 1);
        }
        List<Integer> global = new ArrayList<>();
        for (int g : cfg.globalAttBlocks == null ? new int[0] : cfg.globalAttBlocks) {
            global.add(g);
        }
        int embedDim = cfg.embedDim;
        int numHeads = cfg.numHeads;
        int stage = 1;
        for (int i = 0; i < depth; i++) {
            int dimOut = embedDim;
            // the window lags a block: a stage's first block still uses the previous stage's window
            int window = global.contains(i) ? 0 : cfg.windowSpec[stage - 1];
            if (isStageEnd(i - 1)) {
                dimOut = (int) (embedDim * cfg.dimMul);
                numHeads = (int) (numHeads * cfg.headMul);
                stage++;
            }
            blocks.add(factory.create(i, embedDim, dimOut, numHeads, window, qPoolBlocks.contains(i)));
            embedDim = dimOut;
        }
    }

    private boolean isStageEnd(int i) {
        for (int e : stageEnds) {
            if (e == i) {
                return true;
            }
        }
        return false;
    }

    /** The positional embedding of an h × w token grid, channel-last (1, h, w, C). */
    private NDArray positions(ParameterStore ps, NDArray like, long h, long w, boolean training) {
        if (Precision.isHalf(like)) { // made in float32 from the float32 weights, then in the activations' type
            NDArray probe = like.getManager().zeros(new Shape(1), DataType.FLOAT32).toDevice(like.getDevice(), false);
            NDArray full = positions(ps, probe, h, w, training);
            return Precision.cast(full, Precision.isBfloat16(like) ? DataType.BFLOAT16 : like.getDataType());
        }
        NDArray bkg = Ops.interpolate(value(ps, posEmbed, like, training), new long[] {h, w}, Ops.Mode.BICUBIC, false);
        NDArray window = value(ps, posEmbedWindow, like, training);
        long ws = window.getShape().get(2);
        return bkg.add(window.tile(new long[] {1, 1, h / ws, w / ws})).transpose(0, 2, 3, 1);
    }

    /** (B, 3, S, S) → the last block of each stage, (B, C_s, H_s, W_s), highest resolution first. */
    public List<NDArray> forward(ParameterStore ps, NDArray image, boolean training) {
        return forward(ps, image, training, null);
    }

    /**
     * As above; with {@code checkpoints} (training) each block runs without autograd and is
     * recomputed in the backward ({@link ActivationCheckpoints}), the stage outputs tapped.
     */
    public List<NDArray> forward(ParameterStore ps, NDArray image, boolean training, ActivationCheckpoints checkpoints) {
        NDArray x = patchEmbed.forward(ps, image, training);
        x = x.add(positions(ps, x, x.getShape().get(1), x.getShape().get(2), training));
        List<NDArray> out = new ArrayList<>();
        for (int i = 0; i < blocks.size(); i++) {
            MultiScaleBlock b = blocks.get(i);
            if (checkpoints != null) {
                x = checkpoints.forward(in -> b.forward(ps, in, true), x);
                if (isStageEnd(i)) {
                    x = checkpoints.tap(x);
                }
            } else {
                x = b.forward(ps, x, training);
            }
            if (isStageEnd(i)) {
                out.add(x.transpose(0, 3, 1, 2));
            }
        }
        return out;
    }

    /** The trunk's arguments. */
    public Sam2Config.Trunk config() {
        return cfg;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, inputs.singletonOrThrow(), training));
    }
}
