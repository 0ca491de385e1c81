package org.medsa.adapters;

import ai.djl.ndarray.NDArray;
import ai.djl.training.ParameterStore;
import org.medsa.core.modeling.SamConfig;
import org.medsa.core.modeling.TwoWayAttentionBlock;
import org.medsa.core.nn.Linear;
import org.medsa.core.nn.Mlp;
import org.medsa.core.nn.ModuleList;

/**
 * The official Med-SA code's two-way block (EfficientSAM-derived; docs/model.md, "The official code's decoder blocks"): the
 * token MLP is
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

    /** The official block; {@code skipFirstLayerPe} is true for the first block of the transformer. */
    public OfficialTwoWayBlock(SamConfig.Transformer cfg, boolean skipFirstLayerPe) {
        super(cfg, skipFirstLayerPe, new EfficientSamMlp(cfg.embeddingDim, cfg.mlpDim));
    }

    /** The PE is added to the tokens themselves (so also to the value and the residual); block 0 keeps its residual. */
    @Override
    protected NDArray selfAttention(ParameterStore ps, NDArray queries, NDArray queryPe, boolean training) {
        if (!skipFirstLayerPe) {
            queries = queries.add(queryPe);
        }
        return queries.add(selfAttn.forward(ps, queries, queries, queries, training));
    }
}
