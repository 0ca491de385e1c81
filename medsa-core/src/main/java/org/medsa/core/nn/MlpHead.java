package org.medsa.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Activation;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * The mask decoder's {@code MLP}: {@code layers.0 … layers.{n-1}} Linear layers with ReLU between
 * them, none after the last, and an optional sigmoid on the output.
 */
public class MlpHead extends TorchBlock {

    private final ModuleList<Linear> layers;
    private final boolean sigmoidOutput;

    /**
     * {@code numLayers} Linear layers {@code in → hidden → … → out} (a single layer maps {@code in
     * → out} directly).
     */
    public MlpHead(long in, long hidden, long out, int numLayers, boolean sigmoidOutput) {
        this.layers = child("layers", new ModuleList<>());
        for (int i = 0; i < numLayers; i++) {
            long a = i == 0 ? in : hidden;
            long b = i == numLayers - 1 ? out : hidden;
            layers.add(new Linear(a, b));
        }
        this.sigmoidOutput = sigmoidOutput;
    }

    /** x: (..., in) → (..., out), in (0, 1) when the sigmoid output is on. */
    public NDArray forward(ParameterStore ps, NDArray x, boolean training) {
        for (int i = 0; i < layers.size(); i++) {
            x = layers.get(i).forward(ps, x, training);
            if (i < layers.size() - 1) {
                x = Activation.relu(x);
            }
        }
        return sigmoidOutput ? Activation.sigmoid(x) : x;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, inputs.singletonOrThrow(), training));
    }
}
