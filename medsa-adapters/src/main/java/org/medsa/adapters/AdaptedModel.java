package org.medsa.adapters;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import com.google.gson.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.medsa.core.nn.TorchBlock;

/**
 * A frozen base model with Med-SA's adapters — SAM ({@link MedsaModel}) or SAM 2 ({@link
 * MedsaSam2Model}): the one rule of what trains ({@link #isTrainable}) and everything that follows
 * from it (freezing, the trainable parameters, {@link ParameterCounts}).
 */
public interface AdaptedModel {

    /** Whether the parameter (by state-dict name) trains under the model's settings. */
    boolean isTrainable(String name);

    /** The adapter settings the model was built with. */
    MedsaConfig medsaConfig();

    /** Every parameter and buffer by state-dict name (the model's {@code TorchBlock} view). */
    Map<String, Parameter> stateDictParameters();

    /** Declared shapes by state-dict name. */
    Map<String, Shape> stateDictShapes();

    /** Names of buffers (never trained). */
    Set<String> bufferNames();

    /** The base model's config as adapter files record it ({@code model_config}). */
    JsonObject configJson();

    /** The input profile the adapters are trained on (its id, e.g. {@code sam}, {@code sam2}). */
    String inputProfileId();

    /** {@code sam} or {@code sam2}: the family adapter files record. */
    String family();

    /** The model as a block (both kinds are {@code TorchBlock}s), for loaders. */
    default TorchBlock block() {
        return (TorchBlock) this;
    }

    /** True for names of adapter parameters (every adapter's name contains "Adapter"). */
    static boolean isAdapter(String name) {
        return name.contains("Adapter");
    }

    /** Sets requires-gradient on exactly the trainable parameters (buffers never). */
    default void freeze() {
        Set<String> buffers = bufferNames();
        for (Map.Entry<String, Parameter> e : stateDictParameters().entrySet()) {
            e.getValue().freeze(!(isTrainable(e.getKey()) && !buffers.contains(e.getKey())));
        }
    }

    /** The trainable parameters by state-dict name. */
    default Map<String, Parameter> trainableParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        Set<String> buffers = bufferNames();
        stateDictParameters().forEach((k, p) -> {
            if (isTrainable(k) && !buffers.contains(k)) {
                out.put(k, p);
            }
        });
        return out;
    }
}
