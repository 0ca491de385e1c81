package org.medsa.adapters;

import org.medsa.core.nn.Ops;
import ai.djl.ndarray.NDArray;
import ai.djl.training.ParameterStore;
import org.medsa.core.modeling.PromptContext;
import org.medsa.core.modeling.SamConfig;
import org.medsa.core.modeling.TwoWayAttentionBlock;

/**
 * SAM's two-way block with the paper's three decoder adapters (spec §B.5): {@code HyP_Adapter}
 * on the token→image attention output inside the residual, {@code MLP_Adapter} parallel to the
 * token MLP scaled by s, and {@code I2T_Adapter} (with skip) on the image tokens after the
 * image→token attention. SAM's own weights stay frozen.
 */
public class PaperTwoWayBlock extends TwoWayAttentionBlock {

    private final HyperPromptAdapter hypAdapter;
    private final Adapter mlpAdapter;
    private final Adapter i2tAdapter;
    private final double mlpScale;

    public PaperTwoWayBlock(SamConfig.Transformer cfg, boolean skipFirstLayerPe, MedsaConfig m) {
        super(cfg, skipFirstLayerPe);
        int c = cfg.embeddingDim;
        this.hypAdapter = child("HyP_Adapter", new HyperPromptAdapter(c, m.decoderWidth, m.hyperLayers, m.hyperScale, m.init));
        this.mlpAdapter = child("MLP_Adapter", new Adapter(c, m.decoderWidth, m.activation, false, m.init));
        this.i2tAdapter = child("I2T_Adapter", new Adapter(c, m.decoderWidth, m.activation, true, m.init));
        this.mlpScale = m.decoderMlpScale;
    }

    @Override
    public State forward(ParameterStore ps, NDArray queries, NDArray keys, NDArray queryPe, NDArray keyPe,
            PromptContext ctx, boolean training) {
        if (skipFirstLayerPe) {
            queries = selfAttn.forward(ps, queries, queries, queries, training);
        } else {
            NDArray q = queries.add(queryPe);
            queries = queries.add(selfAttn.forward(ps, q, q, queries, training));
        }
        queries = norm1.forward(ps, queries, training);

        NDArray q = queries.add(queryPe);
        NDArray k = keys.add(keyPe);
        NDArray a = crossAttnTokenToImage.forward(ps, q, k, keys, training);
        a = hypAdapter.forward(ps, a, ctx, training);
        queries = norm2.forward(ps, queries.add(a), training);

        NDArray mlpOut = mlp.forward(ps, queries, training).add(Ops.mul(mlpAdapter.forward(ps, queries, training), mlpScale));
        queries = norm3.forward(ps, queries.add(mlpOut), training);

        q = queries.add(queryPe);
        k = keys.add(keyPe);
        keys = norm4.forward(ps, keys.add(crossAttnImageToToken.forward(ps, k, q, queries, training)), training);
        keys = i2tAdapter.forward(ps, keys, training);
        return new State(queries, keys);
    }
}
