package org.medsa.adapters;

import ai.djl.ndarray.NDArray;
import ai.djl.training.ParameterStore;
import org.medsa.core.modeling.PromptContext;
import org.medsa.core.modeling.SamConfig;
import org.medsa.core.modeling.TwoWayAttentionBlock;
import org.medsa.core.nn.Linear;
import org.medsa.core.nn.Mlp;
import org.medsa.core.nn.ModuleList;

/**
 * The official Med-SA code's two-way block (EfficientSAM-derived, spec §B.12): the token MLP is
 * named {@code mlp.layers.0.0} / {@code mlp.fc}; the first block's self-attention keeps its
 * residual; later blocks add the query PE to the queries before self-attention, so it also flows
 * into the value and the residual.
 */
public class OfficialTwoWayBlock extends TwoWayAttentionBlock {

    /** Linear → ReLU → Linear with EfficientSAM's names. */
    static final class EfficientSamMlp extends Mlp {
        EfficientSamMlp(long dim, long hidden) {
            super(dim, hidden, Mlp.Activation.RELU, "layers", "fc");
        }

        @Override
        protected Linear registerFirst(String name, Linear layer) {
            ModuleList<ModuleList<Linear>> layers = child(name, new ModuleList<>());
            layers.add(new ModuleList<>()).add(layer);
            return layer;
        }
    }

    public OfficialTwoWayBlock(SamConfig.Transformer cfg, boolean skipFirstLayerPe) {
        super(cfg, skipFirstLayerPe, new EfficientSamMlp(cfg.embeddingDim, cfg.mlpDim));
    }

    @Override
    public State forward(ParameterStore ps, NDArray queries, NDArray keys, NDArray queryPe, NDArray keyPe,
            PromptContext ctx, boolean training) {
        if (!skipFirstLayerPe) {
            queries = queries.add(queryPe);
        }
        queries = norm1.forward(ps, queries.add(selfAttn.forward(ps, queries, queries, queries, training)), training);

        NDArray q = queries.add(queryPe);
        NDArray k = keys.add(keyPe);
        queries = norm2.forward(ps, queries.add(crossAttnTokenToImage.forward(ps, q, k, keys, training)), training);

        queries = norm3.forward(ps, queries.add(mlp.forward(ps, queries, training)), training);

        q = queries.add(queryPe);
        k = keys.add(keyPe);
        keys = norm4.forward(ps, keys.add(crossAttnImageToToken.forward(ps, k, q, queries, training)), training);
        return new State(queries, keys);
    }
}
