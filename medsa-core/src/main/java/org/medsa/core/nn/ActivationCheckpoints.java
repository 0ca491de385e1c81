package org.medsa.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.medsa.core.modeling.EncoderBlock;

/**
 * Activation checkpointing for the image encoder's blocks, built from the engine's grad mode and
 * {@code backward(output, gradOutput)} (DJL has none): the forward runs each block without
 * autograd and keeps only its input; after the loss's backward reached the encoder's output,
 * {@link #backward} recomputes one block at a time with autograd on, from the last block to the
 * first, and back-propagates the gradient through it, so the adapters inside every block get
 * exactly the gradients of a normal backward while at most one block's activations exist at a
 * time.
 *
 * <p>Each block runs in its own sub-manager that is closed after it: DJL frees arrays with their
 * manager, so without that the intermediates of every block would stay alive until the step ends
 * even when autograd no longer needs them.
 *
 * <p>Use: put an instance into the encoder's params under {@link #KEY}, run the forward (training
 * mode) and the loss, call the loss's backward inside the gradient collector, then {@link
 * #backward} inside the same collector. One instance per forward.
 */
public final class ActivationCheckpoints {

    /** The key of the encoder's params that carries the instance. */
    public static final String KEY = "medsa.activation_checkpoints";

    /** One block's computation, re-run in the backward. */
    @FunctionalInterface
    public interface Step {
        /** The block on {@code x} in training mode. */
        NDArray apply(NDArray x);
    }

    private record Saved(Step step, NDArray input) {}

    private final List<Saved> saved = new ArrayList<>();
    /** Block index → the leaf of its output that the rest of the model used ({@link #tap}). */
    private final Map<Integer, NDArray> taps = new HashMap<>();
    private NDArray output;

    /** The instance in {@code params}, or null. */
    public static ActivationCheckpoints of(PairList<String, Object> params) {
        if (params == null) {
            return null;
        }
        Object o = params.get(KEY);
        return o instanceof ActivationCheckpoints c ? c : null;
    }

    /** Runs a block without autograd, in its own scope, keeping its input; returns its output (in x's scope). */
    public NDArray forward(EncoderBlock block, ParameterStore ps, NDArray x, PairList<String, Object> params) {
        return forward(in -> block.forward(ps, in, true, params), x);
    }

    /** As above for any block's computation (SAM 2's Hiera blocks). */
    public NDArray forward(Step step, NDArray x) {
        NDManager parent = x.getManager();
        saved.add(new Saved(step, x));
        return Ops.noGrad(() -> {
            try (NDManager scope = parent.newSubManager()) {
                // a view whose results land in the block's scope
                NDArray y = step.apply(Ops.viewIn(x, scope));
                y.attach(parent);
                return y;
            }
        });
    }

    /**
     * Where autograd starts again: the last block's output as a leaf that collects its gradient;
     * the rest of the model (neck, decoder, loss) builds its graph from it.
     */
    public NDArray resume(NDArray lastOutput) {
        NDArray leaf = tap(lastOutput);
        this.output = leaf;
        return leaf;
    }

    /**
     * The output of the block run last, used by the rest of the model (a multi-scale trunk's stage
     * output): a leaf that collects its gradient, which {@link #backward} adds to the gradient
     * flowing back through that block.
     */
    public NDArray tap(NDArray blockOutput) {
        NDArray leaf = blockOutput.stopGradient();
        leaf.setRequiresGradient(true);
        taps.put(saved.size() - 1, leaf);
        this.output = leaf;
        return leaf;
    }

    /**
     * Back-propagates through the checkpointed blocks, last to first, recomputing each. Call after
     * the loss's backward, inside the same gradient collector.
     *
     * @throws IllegalStateException if no forward ran or the loss's backward did not reach the encoder
     */
    public void backward() {
        if (output == null) {
            throw new IllegalStateException("no checkpointed forward to back-propagate");
        }
        NDManager parent = output.getManager();
        NDArray grad = null;
        boolean reached = false;
        for (int i = saved.size() - 1; i >= 0; i--) {
            NDArray tapped = taps.get(i);
            if (tapped != null && tapped.getGradient() != null) {
                reached = true;
                NDArray g = tapped.getGradient().duplicate(); // our own copy: the leaf's .grad goes with the leaf
                g.attach(parent);
                if (grad == null) {
                    grad = g;
                } else {
                    NDArray sum = grad.add(g);
                    grad.close();
                    g.close();
                    grad = sum;
                }
            }
            if (grad == null) {
                continue; // nothing after this block reached the loss
            }
            Saved s = saved.get(i);
            boolean needInputGrad = i > 0; // nothing before the first block is trained
            try (NDManager scope = parent.newSubManager()) {
                NDArray in = s.input().stopGradient();
                in.attach(scope);
                if (needInputGrad) {
                    in.setRequiresGradient(true);
                }
                NDArray y = s.step().apply(in);
                JniUtils.backward((PtNDArray) y, (PtNDArray) grad, false, false);
                NDArray next = null;
                if (needInputGrad) {
                    next = in.getGradient().duplicate();
                    next.attach(parent);
                }
                grad.close();
                grad = next;
            }
        }
        if (!reached) {
            throw new IllegalStateException("the loss's backward did not reach the encoder output");
        }
        saved.clear();
        taps.clear();
        output = null;
    }
}
