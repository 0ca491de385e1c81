package org.medsa.spark;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.medsa.adapters.ModelLoader;
import org.medsa.core.modeling.PromptableModel;

/**
 * One model per executor JVM: loaded lazily by the first task that needs it, shared by every task
 * of the JVM after that (inference only, so the weights are read concurrently), keyed by the
 * model's identity (config, input profile, adapter settings and the SHA-256 of the weight files),
 * never loaded per row or per partition. Its arrays live as long as the JVM.
 */
final class ExecutorModels {

    private static final Map<String, PromptableModel> MODELS = new ConcurrentHashMap<>();
    private static final Map<String, NDManager> MANAGERS = new ConcurrentHashMap<>();
    private static final AtomicInteger LOADS = new AtomicInteger();

    private ExecutorModels() {}

    /** The manager the model for {@code o} lives in (the parent of a task's arrays); {@link #get} first. */
    static NDManager manager(BatchOptions o) {
        return MANAGERS.get(o.modelIdentity());
    }

    /** The model for {@code o}, loading it on first use in this JVM. */
    static PromptableModel get(BatchOptions o) {
        String key = o.modelIdentity();
        PromptableModel sam = MODELS.get(key);
        if (sam != null) {
            return sam;
        }
        synchronized (ExecutorModels.class) {
            sam = MODELS.get(key);
            if (sam == null) {
                NDManager manager = NDManager.newBaseManager(Device.cpu());
                sam = ModelLoader.forModel(o.model(), o.checkpoint()).adapterWeights(o.adapterWeights()).adapters(o.adapters())
                        .inputProfile(o.inputProfile()).precision(o.precision()).loadModel(manager);
                MANAGERS.put(key, manager);
                MODELS.put(key, sam);
                LOADS.incrementAndGet();
            }
            return sam;
        }
    }

    /** How many models this JVM has loaded (a test and the benchmark count them). */
    static int loads() {
        return LOADS.get();
    }
}
