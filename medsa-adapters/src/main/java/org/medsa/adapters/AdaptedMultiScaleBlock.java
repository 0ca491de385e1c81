package org.medsa.adapters;

import ai.djl.ndarray.NDArray;
import ai.djl.training.ParameterStore;
import org.medsa.core.modeling.sam2.MultiScaleBlock;
import org.medsa.core.nn.Ops;

/**
 * A Hiera block ({@link MultiScaleBlock}) with Med-SA's encoder adapters placed as in SAM's ViT
 * blocks ({@link AdaptedEncoderBlock}, docs/model.md): {@code Space_Adapter} (with skip) on the
 * attention output before the residual, {@code MLP_Adapter} parallel to the MLP on the normalised
 * tokens, scaled by s. Both work at the block's output width, so a block that widens the channels
 * gets adapters of the wider stage. SD-Trans has no counterpart here: SAM 2's memory is what joins
 * the slices of a volume.
 */
public class AdaptedMultiScaleBlock extends MultiScaleBlock {

    private final Adapter spaceAdapter;
    private final Adapter mlpAdapter;
    private final double mlpScale;

    /** Hiera's block with the adapters sized by {@code m} ({@link MedsaConfig#encoderWidthFor}). */
    public AdaptedMultiScaleBlock(long dim, long dimOut, int numHeads, int windowSize, boolean pools, MedsaConfig m) {
        super(dim, dimOut, numHeads, windowSize, pools);
        long width = m.encoderWidthFor(dimOut);
        this.mlpAdapter = child("MLP_Adapter", new Adapter(dimOut, width, m.activation(), false, m.init()));
        this.spaceAdapter = child("Space_Adapter", new Adapter(dimOut, width, m.activation(), true, m.init()));
        this.mlpScale = m.mlpScale();
    }

    @Override
    protected NDArray afterAttention(ParameterStore ps, NDArray attnOut, boolean training) {
        return spaceAdapter.forward(ps, attnOut, training);
    }

    @Override
    protected NDArray mlpBranch(ParameterStore ps, NDArray xn, boolean training) {
        return super.mlpBranch(ps, xn, training).add(Ops.mul(mlpAdapter.forward(ps, xn, training), mlpScale));
    }
}
