package org.medsa.train;

import org.medsa.core.Seeds;
import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import org.medsa.adapters.MedsaCheckpoints;
import org.medsa.adapters.MedsaConfig;
import org.medsa.adapters.MedsaModel;
import org.medsa.core.modeling.SamConfig;
import org.medsa.train.eval.EvalReport;
import org.medsa.train.eval.Evaluator;
import org.medsa.train.eval.PromptSetting;
import org.medsa.train.training.TrainConfig;
import org.medsa.train.training.Trainable;
import org.medsa.train.training.Trainer;
import org.medsa.train.training.TrainingData;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The paper's experiment in one call: evaluate a base SAM with fresh adapters under the paper's
 * four prompt settings, train the adapters, load the best ones (by validation Dice), evaluate
 * again. The run folder holds the training run ({@code adapters_best.pth}, {@code metrics.jsonl},
 * ...) and {@code eval-before/}, {@code eval-after/} ({@code results.md/.csv/.json}). A run folder
 * with a latest checkpoint is resumed.
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
    private List<PromptSetting> settings = PromptSetting.parseList(String.join(",", PromptSetting.PAPER));
    private Device device = Engine.getInstance().defaultDevice();
    private PrintStream console = System.err;

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
    }

    /** The prompt settings of both evaluations (default: the paper's four). */
    public FineTuning settings(List<PromptSetting> s) {
        this.settings = List.copyOf(s);
        return this;
    }

    /** Where to compute (default: the engine's default device). */
    public FineTuning device(Device d) {
        this.device = d;
        return this;
    }

    /** Where progress goes (default standard error). */
    public FineTuning console(PrintStream c) {
        this.console = c;
        return this;
    }

    /** Evaluates, trains, evaluates again; prints and writes both tables. */
    public Result run(TrainingData train, TrainingData validation, Evaluation evaluation) throws IOException {
        try (NDManager manager = NDManager.newBaseManager(device)) {
            // the adapters' initial values come from the engine's generator: seed it
            Seeds.seedEngine(trainConfig.seed);
            MedsaModel m = new MedsaModel(config, adapters);
            MedsaCheckpoints.loadBase(m, base, manager);
            EvalReport before = evaluation.run(new Evaluator(m, trainConfig.seed, console), settings);
            before.write(runDir.resolve("eval-before"));
            Trainer.Result r;
            try (Trainer t = new Trainer(Trainable.adapters(m, base), train, validation, trainConfig, runDir, List.of(device),
                    console)) {
                r = t.run(Files.exists(runDir.resolve(Trainer.LATEST)));
            }
            MedsaCheckpoints.loadAdapters(m, r.best(), base, manager, false);
            EvalReport after = evaluation.run(new Evaluator(m, trainConfig.seed, console), settings);
            after.write(runDir.resolve("eval-after"));
            return new Result(before, after, r);
        }
    }
}
