package org.medsa.train.training;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import java.util.LinkedHashMap;
import java.util.Map;
import org.medsa.core.io.StateDictLoader;
import org.medsa.core.nn.Ops;

/**
 * A full copy of the model's parameters on another device, for data-parallel training: the
 * blocks ask the parameter store for their weights, and this store answers with the replica's
 * arrays. Trainable replicas collect their own gradients; {@link #addGradientsTo} sums them into
 * the primary copy and {@link #refresh} copies updated weights back.
 */
public final class ReplicaStore extends ParameterStore implements AutoCloseable {

    private final Device device;
    private final NDManager manager;
    private final Map<Parameter, NDArray> replicas = new LinkedHashMap<>();

    /**
     * Copies every parameter of {@code all} to {@code device}, in a sub-manager of {@code parent};
     * copies of trainable parameters collect their own gradients.
     */
    public ReplicaStore(Map<String, Parameter> all, Device device, NDManager parent) {
        super(parent, false);
        this.device = device;
        this.manager = parent.newSubManager(device);
        for (Parameter p : all.values()) {
            NDArray copy = Ops.copyTo(p.getArray(), device);
            copy.attach(manager);
            if (p.requiresGradient()) {
                copy.setRequiresGradient(true);
            }
            replicas.put(p, copy);
        }
    }

    /** The replica's device. */
    public Device device() {
        return device;
    }

    @Override
    public NDArray getValue(Parameter parameter, Device dev, boolean training) {
        NDArray a = replicas.get(parameter);
        if (a == null) {
            throw new IllegalStateException("parameter " + parameter.getName() + " has no replica");
        }
        return a;
    }

    /** Adds this replica's gradients of {@code params} to the primary parameters' gradients. */
    public void addGradientsTo(Map<String, Parameter> params) {
        Ops.noGrad(() -> {
            try (NDManager scope = manager.newSubManager()) {
                for (Parameter p : params.values()) {
                    NDArray g = replicas.get(p).getGradient();
                    g.attach(scope);
                    NDArray target = p.getArray().getGradient();
                    target.attach(scope);
                    target.addi(g.toDevice(target.getDevice(), false));
                    g.subi(g);
                }
            }
            return null;
        });
    }

    /** Copies the primary values of {@code params} into this replica. */
    public void refresh(Map<String, Parameter> params) {
        try (NDManager scope = manager.newSubManager()) {
            for (Parameter p : params.values()) {
                NDArray v = Ops.copyTo(p.getArray(), device);
                v.attach(scope);
                StateDictLoader.copyInto(replicas.get(p), v);
            }
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
