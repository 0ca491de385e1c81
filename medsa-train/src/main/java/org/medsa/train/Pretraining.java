package org.medsa.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.medsa.adapters.ModelLoader;
import org.medsa.core.Diagnostics;
import org.medsa.core.Seeds;
import org.medsa.core.modeling.Sam;
import org.medsa.core.modeling.SamConfig;
import org.medsa.train.training.TrainConfig;
import org.medsa.train.training.Trainable;
import org.medsa.train.training.Trainer;
import org.medsa.train.training.TrainingData;

/**
 * Trains every weight of a SAM, from the official random initialisation or from a checkpoint:
 * plain SAM fine-tuning on real data, and how the demo's base model was made ({@code medsa
 * pretrain}, docs/demo.md). Writes {@code sam_best.pth}, a full state dict loadable as a base
 * checkpoint, into the run folder.
 *
 * <pre>{@code
 * Trainer.Result r = new Pretraining(SamConfig.load(Path.of("small.json")), null,
 *         Pretraining.recipe().steps(3000).build(), Path.of("runs/pretrain")).run(train, validation, false);
 * }</pre>
 */
public final class Pretraining {

    private final SamConfig config;
    private final Path init;
    private final TrainConfig trainConfig;
    private final Path runDir;
    private List<Device> devices = List.of(Engine.getInstance().defaultDevice());
    private Diagnostics console = Diagnostics.stderr();

    /**
     * @param init the starting weights, or null for the official random initialisation seeded by
     *     the training seed
     */
    public Pretraining(SamConfig config, Path init, TrainConfig trainConfig, Path runDir) {
        this.config = config;
        this.init = init;
        this.trainConfig = trainConfig;
        this.runDir = runDir;
    }

    /**
     * The recipe that made the demo's base: SAM's losses (20·focal + Dice + IoU MSE), the paper's
     * mixed first prompts with two corrective rounds, batch 16, learning rate 1e-3, 2 % warm-up.
     */
    public static TrainConfig.Builder recipe() {
        return TrainConfig.builder("paper").loss("sam").warmup(0.02).correctiveRounds(2).batch(16).lr(1e-3);
    }

    /** The devices to split batches over; the first holds the model. */
    public Pretraining devices(List<Device> d) {
        this.devices = List.copyOf(d);
        return this;
    }

    /** Where progress goes (default standard error). */
    public Pretraining console(Diagnostics c) {
        this.console = c;
        return this;
    }

    /** Trains from the start, or from the run folder's latest checkpoint when {@code resume}. */
    public Trainer.Result run(TrainingData train, TrainingData validation, boolean resume) throws IOException {
        try (NDManager manager = NDManager.newBaseManager(devices.get(0))) {
            // the initial weights come from the engine's generator: seed it
            Seeds.seedEngineForRun(trainConfig.seed());
            Sam sam = (init == null ? ModelLoader.untrained(config) : ModelLoader.of(config, init)).load(manager);
            try (Trainer t = new Trainer(Trainable.fullModel(sam), train, validation, trainConfig, runDir, devices, console)) {
                return t.run(resume);
            }
        }
    }
}
