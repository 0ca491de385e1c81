package org.medsa.train.training;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.medsa.adapters.AdaptedModel;
import org.medsa.adapters.MedsaCheckpoints;
import org.medsa.adapters.MedsaModel;
import org.medsa.adapters.MedsaSam2Model;
import org.medsa.core.io.StateDictLoader;
import org.medsa.core.io.pth.TensorData;
import org.medsa.core.io.pth.TorchCheckpointWriter;
import org.medsa.core.io.pth.TorchDType;
import org.medsa.core.modeling.PromptableModel;
import org.medsa.core.modeling.Sam;

/**
 * What a training run updates and how it is saved: the adapters of a Med-SA model — SAM ({@link
 * MedsaModel}) or SAM 2 ({@link MedsaSam2Model}) — as adapter files on top of a
 * base checkpoint, or every weight of a plain SAM (pre-training; full state dicts loadable as
 * {@code --checkpoint}).
 */
public interface Trainable {

    /** The model being trained (SAM or SAM 2). */
    PromptableModel model();

    /** The parameters the optimiser updates, by state-dict name. */
    Map<String, Parameter> parameters();

    /** Writes the trained weights (and {@code extra} entries) to {@code file}, atomically. */
    void save(Path file, long step, Map<String, Object> extra) throws IOException;

    /** Loads weights written by {@link #save} into the model. */
    void load(Path file, NDManager manager);

    /** What is trained, for the run description. */
    JsonObject describe();

    /** File name of the best weights in the run folder. */
    default String bestFileName() {
        return "adapters_best.pth";
    }

    /** The adapters of a Med-SA model, SAM or SAM 2 (its preset, and SAM 2's memory setting, decide what trains). */
    static Trainable adapters(AdaptedModel model, Path baseCheckpoint) {
        return new Trainable() {
            @Override
            public PromptableModel model() {
                return (PromptableModel) model;
            }

            @Override
            public Map<String, Parameter> parameters() {
                Map<String, Parameter> out = new LinkedHashMap<>();
                // The prompt encoder never gets a gradient (both recipes run it without one).
                model.trainableParameters().forEach((k, p) -> {
                    if (!k.startsWith("prompt_encoder.")) {
                        out.put(k, p);
                    }
                });
                return out;
            }

            @Override
            public void save(Path file, long step, Map<String, Object> extra) throws IOException {
                MedsaCheckpoints.saveAdapters(model, file, baseCheckpoint, step, extra);
            }

            @Override
            public void load(Path file, NDManager manager) {
                MedsaCheckpoints.loadAdapters(model, file, baseCheckpoint, manager, false);
            }

            @Override
            public JsonObject describe() {
                JsonObject o = new JsonObject();
                o.addProperty("trains", "adapters");
                o.addProperty("family", model.family());
                o.addProperty("preset", model.medsaConfig().preset().id());
                o.addProperty("volumetric", model.medsaConfig().volumetric());
                if (model instanceof MedsaSam2Model m) {
                    o.addProperty("train_memory", m.trainsMemory());
                }
                o.addProperty("base_checkpoint", baseCheckpoint == null ? null : baseCheckpoint.toString());
                return o;
            }
        };
    }

    /** Every weight of a plain SAM (buffers excluded). */
    static Trainable fullModel(Sam sam) {
        for (Map.Entry<String, Parameter> e : sam.stateDictParameters().entrySet()) {
            if (!sam.bufferNames().contains(e.getKey())) {
                e.getValue().freeze(false);
            }
        }
        return new Trainable() {
            @Override
            public PromptableModel model() {
                return sam;
            }

            @Override
            public Map<String, Parameter> parameters() {
                Map<String, Parameter> out = new LinkedHashMap<>();
                Set<String> buffers = sam.bufferNames();
                sam.stateDictParameters().forEach((k, p) -> {
                    if (!buffers.contains(k)) {
                        out.put(k, p);
                    }
                });
                return out;
            }

            @Override
            public void save(Path file, long step, Map<String, Object> extra) throws IOException {
                TorchCheckpointWriter.OrderedMap sd = new TorchCheckpointWriter.OrderedMap();
                for (Map.Entry<String, Parameter> e : sam.stateDictParameters().entrySet()) {
                    Parameter p = e.getValue();
                    sd.put(e.getKey(),
                            new TorchCheckpointWriter.LazyTensor(TorchDType.FLOAT32, p.getArray().getShape().getShape(),
                            () -> TensorData.of(p.getArray())));
                }
                Map<String, Object> root = new LinkedHashMap<>();
                root.put("format", "medsa-sam");
                root.put("model_config", sam.config().toJson().toString());
                root.put("step", step);
                root.put("state_dict", sd);
                root.putAll(extra);
                TorchCheckpointWriter.write(file, root);
            }

            @Override
            public void load(Path file, NDManager manager) {
                StateDictLoader.load(sam, file, manager, new StateDictLoader.Options());
            }

            @Override
            public JsonObject describe() {
                JsonObject o = new JsonObject();
                o.addProperty("trains", "all SAM weights");
                return o;
            }

            @Override
            public String bestFileName() {
                return "sam_best.pth";
            }
        };
    }
}
