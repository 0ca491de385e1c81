package org.medsa.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.medsa.adapters.MedsaConfig;
import org.medsa.adapters.MedsaModel;
import org.medsa.adapters.ModelLoader;
import org.medsa.adapters.ParameterCounts;
import org.medsa.core.Diagnostics;
import org.medsa.core.Seeds;
import org.medsa.core.modeling.SamConfig;
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
        this.config = config;
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
            MedsaModel m = load(manager);
            return train(m, train, validation, resume);
        }
    }

    /** Evaluates, trains, evaluates again; writes both tables. */
    public Result run(TrainingData train, TrainingData validation, Evaluation evaluation) throws IOException {
        try (NDManager manager = NDManager.newBaseManager(devices.get(0))) {
            MedsaModel m = load(manager);
            EvalReport before = evaluation.run(new Evaluator(m, manager, trainConfig.seed(), console), settings);
            before.write(reportBefore);
            Trainer.Result r = train(m, train, validation, new RunFolder(runDir).hasLatest());
            ModelLoader.loadAdapterWeights(m, r.best(), base, manager);
            EvalReport after = evaluation.run(new Evaluator(m, manager, trainConfig.seed(), console), settings);
            after.write(reportAfter);
            return new Result(before, after, r);
        }
    }

    private MedsaModel load(NDManager manager) {
        // the adapters' initial values come from the engine's generator: seed it
        Seeds.seedEngineForRun(trainConfig.seed());
        MedsaModel m = ModelLoader.of(config, base).adapters(adapters).inputProfile(inputProfile).loadMedsa(manager);
        ParameterCounts counts = ParameterCounts.of(m);
        console.note(String.format(Locale.ROOT,
                "model: %s, %s adapters, input profile %s; %,d of %,d parameters trainable (%.2f%%) on %s",
                config.source, m.medsaConfig().describe(), m.config().inputProfile, counts.trainable(), counts.total(),
                100.0 * counts.trainable() / counts.total(), devices));
        return m;
    }

    private Trainer.Result train(MedsaModel m, TrainingData train, TrainingData validation, boolean resume) throws IOException {
        try (Trainer t = new Trainer(Trainable.adapters(m, base), train, validation, trainConfig, runDir, devices, console)) {
            return t.run(resume);
        }
    }
}
