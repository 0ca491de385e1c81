package org.medsa.adapters;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.medsa.core.modeling.PromptContext;
import org.medsa.core.nn.Inits;
import org.medsa.core.nn.LayerNorm;
import org.medsa.core.nn.Linear;
import org.medsa.core.nn.ModuleList;
import org.medsa.core.nn.Ops;
import org.medsa.core.nn.TorchBlock;

/**
 * The Hyper-Prompting Adapter (docs/model.md, "Decoder adapters and HyP-Adpt"; sizes are ours): a bottleneck adapter whose inner
 * weights are
 * generated from the prompt. The prompt embedding e_prompt (mean of the real sparse prompt
 * tokens) goes through an MLP M to K weight matrices w_k (width × width); inside the adapter
 * e_k = ReLU(LayerNorm(e_{k−1} · w_k)) after the down-projection, and the output is
 * x + s · up(e_K).
 *
 * <p>M's last layer starts with zero weights and the flattened identity as bias, so w_k = I at
 * the start and the adapter behaves as a plain bottleneck adapter until it learns otherwise.
 * Names: {@code D_fc1}, {@code D_fc2}, {@code hyper_fc1}, {@code hyper_fc2}, {@code norms.k}.
 */
public class HyperPromptAdapter extends TorchBlock {

    private final Linear down;
    private final Linear up;
    private final Linear hyper1;
    private final Linear hyper2;
    private final ModuleList<LayerNorm> norms;
    private final int width;
    private final int layers;
    private final double scale;

    /**
     * A HyP-Adpt of bottleneck {@code width} with {@code layers} (K) generated weight matrices and
     * output factor {@code scale} (s).
     */
    public HyperPromptAdapter(int dim, int width, int layers, double scale, Adapter.Init init) {
        this.width = width;
        this.layers = layers;
        this.scale = scale;
        this.down = child("D_fc1", new Linear(dim, width));
        this.up = child("D_fc2", init == Adapter.Init.ZERO_UP
                ? new Linear(width, dim, true, Inits.zeros(), Inits.zeros())
                : new Linear(width, dim));
        this.hyper1 = child("hyper_fc1", new Linear(dim, dim));
        float[] identity = new float[layers * width * width];
        for (int k = 0; k < layers; k++) {
            for (int i = 0; i < width; i++) {
                identity[k * width * width + i * width + i] = 1f;
            }
        }
        this.hyper2 = child("hyper_fc2", new Linear(dim, (long) layers * width * width, true,
                Inits.zeros(), Inits.constant(identity)));
        this.norms = child("norms", new ModuleList<>());
        for (int k = 0; k < layers; k++) {
            norms.add(new LayerNorm(width, 1e-5));
        }
    }

    /** e_prompt: the mean of the valid sparse tokens of each prompt set, (Bp, C). */
    static NDArray promptEmbedding(PromptContext ctx) {
        NDArray valid = ctx.validTokens().toType(DataType.FLOAT32, false).expandDims(-1); // (Bp, T, 1)
        NDArray sum = ctx.sparse().mul(valid).sum(new int[] {1});
        NDArray count = Ops.maximum(valid.sum(new int[] {1}), 1);
        return sum.div(count);
    }

    /** The generated weights (Bp, K, width, width). */
    public NDArray generatedWeights(ParameterStore ps, PromptContext ctx, boolean training) {
        NDArray e = promptEmbedding(ctx);
        NDArray m = hyper2.forward(ps, Activation.relu(hyper1.forward(ps, e, training)), training);
        return m.reshape(e.getShape().get(0), layers, width, width);
    }

    /** x: (B, T, C) tokens; the prompt batch broadcasts when it is 1. */
    public NDArray forward(ParameterStore ps, NDArray x, PromptContext ctx, boolean training) {
        NDArray e = down.forward(ps, x, training);
        NDArray w = generatedWeights(ps, ctx, training);
        for (int k = 0; k < layers; k++) {
            NDArray wk = w.get(":, " + k); // (Bp, width, width)
            e = Activation.relu(norms.get(k).forward(ps, e.matMul(wk), training));
        }
        return x.add(Ops.mul(up.forward(ps, e, training), scale));
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, in.get(0), new PromptContext(in.get(1), in.get(2)), training));
    }
}
