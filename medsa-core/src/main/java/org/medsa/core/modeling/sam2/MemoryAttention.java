package org.medsa.core.modeling.sam2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.medsa.core.nn.LayerNorm;
import org.medsa.core.nn.ModuleList;
import org.medsa.core.nn.Ops;
import org.medsa.core.nn.Precision;
import org.medsa.core.nn.TorchBlock;

/**
 * SAM 2's memory attention ({@code MemoryAttention}, docs/sam2.md): conditions a frame's
 * stride-16 features on the memories of other frames and the object pointers through {@code
 * num_layers} {@link MemoryAttentionLayer}s and a final LayerNorm. Children {@code layers.i},
 * {@code norm}.
 */
public class MemoryAttention extends TorchBlock {

    private final Sam2Config.MemoryAttention cfg;
    private final ModuleList<MemoryAttentionLayer> layers;
    private final LayerNorm norm;

    /** The memory attention for {@code cfg}. */
    private DataType computeType = DataType.FLOAT32;

    public MemoryAttention(Sam2Config.MemoryAttention cfg) {
        this.cfg = cfg;
        this.layers = child("layers", new ModuleList<>());
        for (int i = 0; i < cfg.numLayers; i++) {
            layers.add(new MemoryAttentionLayer(cfg));
        }
        this.norm = child("norm", new LayerNorm(cfg.dModel, MemoryAttentionLayer.EPS));
    }

    /**
     * @param curr the frame's tokens (B, N, d), N = h·w of a square grid; {@code currPos} their encoding
     * @param memory (B, M, mem_dim) memory tokens, the object pointers last; {@code memoryPos} their encoding
     * @param objPtrTokens how many of the memory tokens are object pointers
     * @return the conditioned tokens (B, N, d)
     */
    public NDArray forward(ParameterStore ps, NDArray curr, NDArray currPos, NDArray memory, NDArray memoryPos,
            int objPtrTokens, boolean training) {
        if (computeType == DataType.BFLOAT16) { // the layers in bfloat16, the result back in float32
            DataType t = DataType.BFLOAT16;
            return Precision.cast(layers(ps, Precision.cast(curr, t), Precision.cast(currPos, t), Precision.cast(memory, t),
                    Precision.cast(memoryPos, t), objPtrTokens, training), DataType.FLOAT32);
        }
        return layers(ps, curr, currPos, memory, memoryPos, objPtrTokens, training);
    }

    /**
     * The type the layers compute in: FLOAT32 (the default, exact to the official code) or
     * BFLOAT16 (LayerNorm statistics and softmax accumulate in float32; inputs and output stay
     * float32).
     */
    public void computeType(DataType type) {
        if (type != DataType.FLOAT32 && type != DataType.BFLOAT16) {
            throw new IllegalArgumentException("the memory attention computes in float32 or bfloat16, not " + type);
        }
        this.computeType = type;
    }

    private NDArray layers(ParameterStore ps, NDArray curr, NDArray currPos, NDArray memory, NDArray memoryPos,
            int objPtrTokens, boolean training) {
        NDArray out = cfg.posEncAtInput ? curr.add(Ops.mul(currPos, 0.1)) : curr;
        NDArray keys = cfg.posEncAtCrossAttnKeys ? memory.add(memoryPos) : memory; // the same in every layer
        for (MemoryAttentionLayer layer : layers.items()) {
            out = layer.forward(ps, out, memory, keys, currPos, objPtrTokens, training, true);
        }
        return norm.forward(ps, out, training);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, in.get(0), in.get(1), in.get(2), in.get(3), 0, training));
    }
}
