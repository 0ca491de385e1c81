package org.medsa.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.medsa.adapters.AdaptedModel;
import org.medsa.adapters.MedsaConfig;
import org.medsa.adapters.MedsaModel;
import org.medsa.adapters.MedsaSam2Model;
import org.medsa.adapters.ModelLoader;
import org.medsa.adapters.ParameterCounts;
import org.medsa.core.Diagnostics;
import org.medsa.core.MedsaException;
import org.medsa.core.Seeds;
import org.medsa.core.modeling.PromptableModel;
import org.medsa.core.modeling.SamConfig;
import org.medsa.core.modeling.sam2.Sam2Config;
import org.medsa.data.dataset.MsdDataset;
import org.medsa.train.eval.EvalReport;
import org.medsa.train.eval.Evaluator;
import org.medsa.train.eval.PromptSetting;
import org.medsa.train.training.RunFolder;
import org.medsa.train.training.TrainConfig;
import org.medsa.train.training.Trainable;
import org.medsa.train.training.Trainer;
import org.medsa.train.training.TrainingData;

/**
 * Adapter fine-tuning of a frozen base SAM, the library's main workflow: {@link #train} trains the
 * adapters (what {@code medsa train} runs); {@link #run} is the paper's experiment in one call —
 * evaluate the base with fresh adapters under the paper's four prompt settings, train, load the
 * best adapters (by validation Dice), evaluate again. The run folder holds the training run ({@code
 * adapters_best.pth}, {@code metrics.jsonl}, ...) and by default {@code eval-before/}, {@code
 * eval-after/} ({@code results.md/.csv/.json}). A run folder with a latest checkpoint is resumed by
 * {@link #run}.
 *
 * <pre>{@code
 * MsdDataset train = MsdDataset.slices(data).optSubset(Subset.TRAINING).setSampling(4, false).build();
 * MsdDataset val = MsdDataset.slices(data).optSubset(Subset.VALIDATION).setSampling(4, false).build();
 * FineTuning.Result r = new FineTuning(SamConfig.preset("vit_b"), Path.of("sam_vit_b_01ec64.pth"),
 *         MedsaConfig.preset("paper"), TrainConfig.forPreset("paper"), Path.of("runs/btcv"))
 *         .run(TrainingData.of(train), TrainingData.of(val), (evaluator, settings) -> evaluator.evaluate(val, settings));
 * }</pre>
 */
public final class FineTuning {

    /** How to evaluate: usually {@code (e, settings) -> e.evaluate(heldOutDataset, settings)}. */
    @FunctionalInterface
    public interface Evaluation {
        /** Evaluates with {@code evaluator} under each of {@code settings} and returns the table. */
        EvalReport run(Evaluator evaluator, List<PromptSetting> settings);
    }

    /** The two tables and the training outcome. */
    public record Result(EvalReport before, EvalReport after, Trainer.Result training) {}

    private final SamConfig config;
    private final Sam2Config sam2Config;
    private final boolean trainMemory;
    private final Path base;
    private final MedsaConfig adapters;
    private final TrainConfig trainConfig;
    private final Path runDir;
    private List<PromptSetting> settings = PromptSetting.paper();
    private List<Device> devices = List.of(Engine.getInstance().defaultDevice());
    private Diagnostics console = Diagnostics.stderr();
    private String inputProfile;
    private Path reportBefore;
    private Path reportAfter;

    /**
     * @param base the base SAM checkpoint (frozen)
     * @param adapters the adapter preset and sizes to train
     */
    public FineTuning(SamConfig config, Path base, MedsaConfig adapters, TrainConfig trainConfig, Path runDir) {
        this(config, null, false, base, adapters, trainConfig, runDir);
    }

    /**
     * Med-SA on SAM 2: the adapters of a frozen SAM 2 ({@link MedsaSam2Model}; with {@code
     * trainMemory} also its memory attention and memory encoder) trained on chunks of slices
     * tracked with memory ({@code TrainingData} of {@code MsdDataset.chunks}); validated and
     * evaluated with {@code 3d-1-point} (the default settings), the validation on the validation
     * data's volumes.
     *
     * @param base SAM 2's checkpoint (frozen)
     */
    public FineTuning(Sam2Config config, Path base, MedsaConfig adapters, boolean trainMemory, TrainConfig trainConfig,
            Path runDir) {
        this(null, config, trainMemory, base, adapters, trainConfig, runDir);
        this.settings = List.of(PromptSetting.parse(PromptSetting.VOLUME_ONE_POINT_ID));
    }

    private FineTuning(SamConfig config, Sam2Config sam2Config, boolean trainMemory, Path base, MedsaConfig adapters,
            TrainConfig trainConfig, Path runDir) {
        this.config = config;
        this.sam2Config = sam2Config;
        this.trainMemory = trainMemory;
        this.base = base;
        this.adapters = adapters;
        this.trainConfig = trainConfig;
        this.runDir = runDir;
        this.reportBefore = runDir.resolve("eval-before");
        this.reportAfter = runDir.resolve("eval-after");
    }

    /** The prompt settings of both evaluations (default: the paper's four). */
    public FineTuning settings(List<PromptSetting> s) {
        this.settings = List.copyOf(s);
        return this;
    }

    /** Where to compute (default: the engine's default device). */
    public FineTuning device(Device d) {
        return devices(List.of(d));
    }

    /** The devices to split batches over; the first holds the model (default: the engine's default device). */
    public FineTuning devices(List<Device> d) {
        this.devices = List.copyOf(d);
        return this;
    }

    /** Where progress goes (default standard error). */
    public FineTuning console(Diagnostics c) {
        this.console = c;
        return this;
    }

    /** The input profile by name, checked against the base checkpoint's (null: the config's). */
    public FineTuning inputProfile(String name) {
        this.inputProfile = name;
        return this;
    }

    /**
     * Where {@link #run} writes the tables before and after training (default: {@code eval-before/}, {@code eval-after/} in the
     * run folder).
     */
    public FineTuning reports(Path before, Path after) {
        this.reportBefore = before;
        this.reportAfter = after;
        return this;
    }

    /**
     * Trains the adapters from the start (or from the run folder's latest checkpoint when {@code
     * resume}) to the end.
     */
    public Trainer.Result train(TrainingData train, TrainingData validation, boolean resume) throws IOException {
        try (NDManager manager = NDManager.newBaseManager(devices.get(0))) {
            AdaptedModel m = load(manager);
            return train(m, manager, train, validation, resume);
        }
    }

    /** Evaluates, trains, evaluates again; writes both tables. */
    public Result run(TrainingData train, TrainingData validation, Evaluation evaluation) throws IOException {
        try (NDManager manager = NDManager.newBaseManager(devices.get(0))) {
            AdaptedModel m = load(manager);
            PromptableModel model = (PromptableModel) m;
            EvalReport before = evaluation.run(new Evaluator(model, manager, trainConfig.seed(), console), settings);
            before.write(reportBefore);
            Trainer.Result r = train(m, manager, train, validation, new RunFolder(runDir).hasLatest());
            ModelLoader.loadAdapterWeights(m, r.best(), base, manager);
            EvalReport after = evaluation.run(new Evaluator(model, manager, trainConfig.seed(), console), settings);
            after.write(reportAfter);
            return new Result(before, after, r);
        }
    }

    private AdaptedModel load(NDManager manager) {
        // the adapters' initial values come from the engine's generator: seed it
        Seeds.seedEngineForRun(trainConfig.seed());
        AdaptedModel m;
        String source;
        String profile;
        if (sam2Config != null) {
            if (inputProfile != null) {
                throw new MedsaException(sam2Config.source + " is a SAM 2 model: it always takes SAM 2's frame transform");
            }
            m = ModelLoader.forModel(sam2Config.source, base).adapters(adapters).trainMemory(trainMemory).loadMedsaSam2(manager);
            source = sam2Config.source;
            profile = m.inputProfileId();
        } else {
            MedsaModel sam = ModelLoader.of(config, base).adapters(adapters).inputProfile(inputProfile).loadMedsa(manager);
            m = sam;
            source = config.source;
            profile = sam.config().inputProfile;
        }
        ParameterCounts counts = ParameterCounts.of(m);
        console.note(String.format(Locale.ROOT,
                "model: %s, %s adapters%s, input profile %s; %,d of %,d parameters trainable (%.2f%%) on %s",
                source, m.medsaConfig().describe(), trainMemory ? " and the memory modules" : "", profile, counts.trainable(),
                counts.total(), 100.0 * counts.trainable() / counts.total(), devices));
        return m;
    }

    private Trainer.Result train(AdaptedModel m, NDManager manager, TrainingData train, TrainingData validation, boolean resume)
            throws IOException {
        Trainable t = Trainable.adapters(m, base);
        if (m instanceof MedsaSam2Model sam2) {
            // validation is evaluation: 3d-1-point on the validation volumes
            MsdDataset volumes = validation == null ? null : validation.volumes();
            if (validation != null && volumes == null) {
                throw new MedsaException("SAM 2 is validated on volumes: give MSD-layout validation data");
            }
            Trainer.Validation v = volumes == null ? null : () -> new Evaluator(sam2, manager, trainConfig.seed(),
                    Diagnostics.none()).evaluate(volumes, List.of(PromptSetting.parse(PromptSetting.VOLUME_ONE_POINT_ID)))
                    .meanDice(PromptSetting.VOLUME_ONE_POINT_ID);
            try (Trainer trainer = new Trainer(t, train, trainConfig, runDir, devices, console, v)) {
                return trainer.run(resume);
            }
        }
        try (Trainer trainer = new Trainer(t, train, validation, trainConfig, runDir, devices, console)) {
            return trainer.run(resume);
        }
    }
}
