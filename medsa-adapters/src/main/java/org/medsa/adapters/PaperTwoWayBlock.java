package org.medsa.adapters;

import ai.djl.ndarray.NDArray;
import ai.djl.training.ParameterStore;
import org.medsa.core.modeling.PromptContext;
import org.medsa.core.modeling.SamConfig;
import org.medsa.core.modeling.TwoWayAttentionBlock;
import org.medsa.core.nn.Mlp;
import org.medsa.core.nn.Ops;

/**
 * SAM's two-way block with the paper's three decoder adapters (docs/model.md, "Decoder adapters and HyP-Adpt"): {@code
 * HyP_Adapter}
 * on the token→image attention output inside the residual, {@code MLP_Adapter} parallel to the
 * token MLP scaled by s, and {@code I2T_Adapter} (with skip) on the image tokens after the
 * image→token attention. SAM's own weights stay frozen.
 */
public class PaperTwoWayBlock extends TwoWayAttentionBlock {

    private final HyperPromptAdapter hypAdapter;
    private final Adapter mlpAdapter;
    private final Adapter i2tAdapter;
    private final double mlpScale;

    /** SAM's block with the decoder adapters sized by {@code m} ({@link MedsaConfig#decoderWidth}, scales and init). */
    public PaperTwoWayBlock(SamConfig.Transformer cfg, boolean skipFirstLayerPe, MedsaConfig m) {
        this(cfg, skipFirstLayerPe, null, m);
    }

    /** As above around a given token MLP (SAM 2's blocks name theirs {@code mlp.layers.0-1}); null: SAM's. */
    public PaperTwoWayBlock(SamConfig.Transformer cfg, boolean skipFirstLayerPe, Mlp tokenMlp, MedsaConfig m) {
        super(cfg, skipFirstLayerPe, tokenMlp);
        int c = cfg.embeddingDim;
        this.hypAdapter = child("HyP_Adapter",
                new HyperPromptAdapter(c, m.decoderWidth(), m.hyperLayers(), m.hyperScale(), m.init()));
        this.mlpAdapter = child("MLP_Adapter", new Adapter(c, m.decoderWidth(), m.activation(), false, m.init()));
        this.i2tAdapter = child("I2T_Adapter", new Adapter(c, m.decoderWidth(), m.activation(), true, m.init()));
        this.mlpScale = m.decoderMlpScale();
    }

    @Override
    protected NDArray adaptTokenToImage(ParameterStore ps, NDArray attnOut, PromptContext ctx, boolean training) {
        return hypAdapter.forward(ps, attnOut, ctx, training);
    }

    @Override
    protected NDArray tokenMlp(ParameterStore ps, NDArray queries, boolean training) {
        return mlp.forward(ps, queries, training).add(Ops.mul(mlpAdapter.forward(ps, queries, training), mlpScale));
    }

    @Override
    protected NDArray adaptImageTokens(ParameterStore ps, NDArray keys, boolean training) {
        return i2tAdapter.forward(ps, keys, training);
    }
}
