package org.medsa.train.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.medsa.core.MedsaException;
import org.medsa.core.io.StateDictLoader;
import org.medsa.core.io.pth.TensorData;
import org.medsa.core.io.pth.TorchCheckpointWriter;
import org.medsa.core.nn.Ops;

/**
 * AdamW with PyTorch's update rule (decoupled weight decay, bias-corrected moments), on the
 * parameters' own devices. Its state can be saved and restored exactly, so a resumed run
 * continues bit for bit.
 */
public final class AdamW implements AutoCloseable {

    private final Map<String, Parameter> params;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final NDManager manager;
    private final Map<String, NDArray> expAvg = new LinkedHashMap<>();
    private final Map<String, NDArray> expAvgSq = new LinkedHashMap<>();
    private long step;

    /** AdamW over {@code params} (by state-dict name); the moments start at zero on each parameter's device. */
    public AdamW(Map<String, Parameter> params, double beta1, double beta2, double eps, double weightDecay) {
        this.params = new LinkedHashMap<>(params);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        NDArray first = params.values().iterator().next().getArray();
        this.manager = first.getManager().newSubManager(first.getDevice());
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            NDArray a = e.getValue().getArray();
            NDArray m = a.zerosLike();
            m.attach(manager);
            NDArray v = a.zerosLike();
            v.attach(manager);
            expAvg.put(e.getKey(), m);
            expAvgSq.put(e.getKey(), v);
        }
    }

    /** The parameters it updates, by state-dict name. */
    public Map<String, Parameter> parameters() {
        return params;
    }

    /** Number of updates made so far (restored with the state). */
    public long stepCount() {
        return step;
    }

    /**
     * The global L2 norm of the gradients (one scalar read from the device).
     */
    public double gradientNorm() {
        try (NDManager scope = manager.newSubManager()) {
            NDArray total = null;
            for (Parameter p : params.values()) {
                NDArray g = p.getArray().getGradient();
                g.attach(scope);
                NDArray s = g.square().sum();
                total = total == null ? s : total.add(s);
            }
            return total == null ? 0 : Math.sqrt(total.getFloat());
        }
    }

    /**
     * The factor {@code torch.nn.utils.clip_grad_norm_} scales gradients by: {@code maxNorm / (norm
     * + 1e-6)} when that is below 1, else 1.
     */
    public static double clipScale(double norm, double maxNorm) {
        double coefficient = maxNorm / (norm + 1e-6);
        return coefficient < 1 ? coefficient : 1.0;
    }

    /** Names of parameters whose gradient holds NaN or infinity (for error messages). */
    public List<String> nonFiniteGradients() {
        List<String> out = new ArrayList<>();
        try (NDManager scope = manager.newSubManager()) {
            for (Map.Entry<String, Parameter> e : params.entrySet()) {
                NDArray g = e.getValue().getArray().getGradient();
                g.attach(scope);
                if (g.isNaN().any().getBoolean() || g.isInfinite().any().getBoolean()) {
                    out.add(e.getKey());
                }
            }
        }
        return out;
    }

    /** One update with learning rate {@code lr}; gradients are scaled by {@code gradScale} first. */
    public void step(double lr, double gradScale) {
        step++;
        double bc1 = 1 - Math.pow(beta1, step);
        double bc2 = 1 - Math.pow(beta2, step);
        double stepSize = lr / bc1;
        double bc2Sqrt = Math.sqrt(bc2);
        Ops.noGrad(() -> {
            try (NDManager scope = manager.newSubManager()) {
                for (Map.Entry<String, Parameter> e : params.entrySet()) {
                    NDArray w = e.getValue().getArray();
                    NDArray g = w.getGradient();
                    g.attach(scope);
                    if (gradScale != 1.0) {
                        g = g.mul(gradScale);
                    }
                    NDArray m = expAvg.get(e.getKey());
                    NDArray v = expAvgSq.get(e.getKey());
                    // Results of ops attach to the manager of the array they start from: start the
                    // out-of-place ones from views in this step's scope, not from the moments.
                    NDArray mView = Ops.viewIn(m, scope);
                    NDArray vView = Ops.viewIn(v, scope);
                    if (weightDecay != 0) {
                        w.muli(1 - lr * weightDecay);
                    }
                    m.muli(beta1).addi(g.mul(1 - beta1));
                    v.muli(beta2).addi(g.square().mul(1 - beta2));
                    NDArray denom = vView.sqrt().div(bc2Sqrt).add(eps);
                    w.subi(mView.div(denom).mul(stepSize));
                }
            }
            return null;
        });
    }

    /** Sets every gradient to zero (PyTorch accumulates them across backward passes). */
    public void zeroGradients() {
        Ops.noGrad(() -> {
            for (Parameter p : params.values()) {
                try (NDArray g = p.getArray().getGradient()) {
                    g.subi(g);
                }
            }
            return null;
        });
    }

    /** The optimiser state: step, first and second moments by parameter name. */
    public Map<String, Object> state() {
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("step", step);
        TorchCheckpointWriter.OrderedMap m = new TorchCheckpointWriter.OrderedMap();
        TorchCheckpointWriter.OrderedMap v = new TorchCheckpointWriter.OrderedMap();
        expAvg.forEach((k, a) -> m.put(k, TensorData.of(a)));
        expAvgSq.forEach((k, a) -> v.put(k, TensorData.of(a)));
        s.put("exp_avg", m);
        s.put("exp_avg_sq", v);
        return s;
    }

    /** Restores {@link #state()}. */
    public void load(long savedStep, Map<String, TensorData> m, Map<String, TensorData> v) {
        this.step = savedStep;
        for (String k : params.keySet()) {
            if (!m.containsKey(k) || !v.containsKey(k)) {
                throw new MedsaException("optimizer state has no moments for " + k);
            }
            try (NDManager scope = manager.newSubManager()) {
                NDArray a = m.get(k).toNDArray(scope);
                NDArray b = v.get(k).toNDArray(scope);
                StateDictLoader.copyInto(expAvg.get(k), a.toDevice(expAvg.get(k).getDevice(), false));
                StateDictLoader.copyInto(expAvgSq.get(k), b.toDevice(expAvgSq.get(k).getDevice(), false));
            }
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
