package org.medsa.cli;

import ai.djl.Device;
import ai.djl.training.dataset.RandomAccessDataset;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.medsa.adapters.ModelLoader;
import org.medsa.core.Diagnostics;
import org.medsa.core.MedsaException;
import org.medsa.core.geometry.InputGeometry;
import org.medsa.core.geometry.InputProfile;
import org.medsa.core.modeling.SamConfig;
import org.medsa.core.modeling.sam2.Sam2Config;
import org.medsa.data.dataset.Datasets;
import org.medsa.data.dataset.Subset;
import org.medsa.data.transforms.SamplePipeline;
import org.medsa.train.Pretraining;
import org.medsa.train.sam2.Sam2Training;
import org.medsa.train.sam2.SliceClips;
import org.medsa.train.training.RunFolder;
import org.medsa.train.training.TrainConfig;
import org.medsa.train.training.Trainer;
import org.medsa.train.training.TrainingData;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code medsa pretrain}: trains every weight of a (small) SAM, from random initialisation or a
 * checkpoint. It made the demo's base model; with real data it is plain SAM fine-tuning.
 */
@Command(name = "pretrain", mixinStandardHelpOptions = true,
        description = "Train all weights of a SAM model (from scratch or --init) on a dataset; writes sam_best.pth.")
public final class PretrainCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "<vit_b|vit_l|vit_h|config.json|sam2 config.json>",
            description = "Model preset or a config.json in the fixtures' layout; a SAM 2 config (or preset) trains SAM 2 on "
                    + "clips"
                    + " of consecutive slices (writes sam2_best.pt).")
    String model;
    @Option(names = "--frames", paramLabel = "N", defaultValue = "4",
            description = "SAM 2: slices per clip (default ${DEFAULT-VALUE}).") int frames;
    @Option(names = "--init", paramLabel = "<sam.pth>",
            description = "Start from these weights (default: random, seeded).") Path init;
    @Option(names = "--data", required = true, paramLabel = "<dataset dir>",
            description = "An MSD-layout folder or a folder with images/ and masks/.")
    Path data;
    @Option(names = "--out", required = true, paramLabel = "<run dir>",
            description = "Run folder: config.json, metrics.jsonl, checkpoint_latest.pth, sam_best.pth.")
    Path out;
    @Option(names = "--steps", paramLabel = "N", description = "Optimiser steps (>= 1; overrides --epochs).") Integer steps;
    @Option(names = "--epochs", paramLabel = "N", description = "Passes over the training set (default 1).") Integer epochs;
    @Option(names = "--lr", paramLabel = "X", defaultValue = "1e-3",
            description = "Peak learning rate (default ${DEFAULT-VALUE}).") double lr;
    @Option(names = "--batch", paramLabel = "N", defaultValue = "16",
            description = "Samples per step (default ${DEFAULT-VALUE}).") int batch;
    @Option(names = "--seed", paramLabel = "N", defaultValue = "42",
            description = "Seed of the initial weights, the split, augmentations and prompts (default ${DEFAULT-VALUE}).")
    long seed;
    @Option(names = "--input-profile", paramLabel = "<sam|medsam|msa-compat>",
            description = "How images enter the model (default: the config's, sam); recorded in the weights file.")
    String inputProfile;
    @Option(names = "--resume", description = "Continue the run in --out from its latest checkpoint.") boolean resume;
    @Option(names = {"--device", "--devices"}, defaultValue = "auto", paramLabel = "<auto|cpu|gpu|gpu:0,gpu:1|all>",
            description = "Devices to split batches over (default: every GPU, else the CPU).")
    String devices;
    @Option(names = "--verbose", description = "Print stack traces of errors.") boolean verbose;

    @Override
    public Integer call() throws Exception {
        if (ModelLoader.isSam2(model)) {
            return sam2();
        }
        TrainConfig.Builder b = Pretraining.recipe().lr(lr).batch(TrainCommand.atLeast(batch, 1, "--batch")).seed(seed);
        if (steps != null) {
            b.steps(TrainCommand.atLeast(steps, 1, "--steps"));
        }
        if (epochs != null) {
            b.epochs(TrainCommand.atLeast(epochs, 1, "--epochs"));
        }
        TrainConfig cfg = b.build();
        SamConfig samConfig = SamConfig.resolve(model);
        if (inputProfile != null) {
            samConfig = samConfig.withInputProfile(InputProfile.parse(inputProfile));
        }
        if (init != null) {
            ModelLoader.requireFile(init);
        }
        Datasets.layout(data);
        RunFolder.check(out, resume);
        List<Device> devs = Devices.parse(devices);
        RandomAccessDataset trainSet = Datasets.open(data, Subset.TRAINING, seed, SamplePipeline.btcvAugmentation(), 1, batch);
        RandomAccessDataset valSet = Datasets.open(data, Subset.VALIDATION, seed, null, 1, batch);
        if (trainSet.size() < cfg.batch()) {
            throw new MedsaException(data + ": " + trainSet.size() + " training samples, fewer than one batch of " + cfg.batch()
                    + " (--batch)");
        }
        Diagnostics.Deferred console = Diagnostics.deferred(Diagnostics.stderr());
        console.note(String.format(Locale.ROOT, "data: %d training and %d validation samples", trainSet.size(), valSet.size()));
        Trainer.Result r = new Pretraining(samConfig, init, cfg, out).devices(devs).console(console)
                .run(TrainingData.of(trainSet), TrainingData.of(valSet), resume);
        console.flush();
        System.out.printf(Locale.ROOT, "trained %d steps; best validation Dice %.4f at step %d; weights: %s%n",
                r.steps(), r.bestDice(), r.bestStep(), r.best());
        return 0;
    }

    /** SAM 2: every weight trained on clips of consecutive slices ({@link Sam2Training}). */
    private int sam2() throws Exception {
        if (epochs != null || inputProfile != null || resume || !"auto".equals(devices)) {
            throw new MedsaException("--epochs, --input-profile, --resume and --devices apply to SAM models");
        }
        Sam2Config c = Sam2Config.resolve(model);
        if (init != null) {
            ModelLoader.requireFile(init);
        }
        Datasets.layout(data);
        RunFolder.check(out, false);
        Sam2Training.Recipe d = Sam2Training.Recipe.defaults();
        Sam2Training.Recipe recipe = new Sam2Training.Recipe(steps == null ? d.steps()
                : TrainCommand.atLeast(steps, 1, "--steps"),
                TrainCommand.atLeast(batch, 1, "--batch"), lr, d.warmup(), d.weightDecay(), d.maxGradNorm(), seed,
                d.validateEvery(), d.validationClips());
        InputGeometry g = InputGeometry.sam2(c.imageSize);
        SliceClips train = SliceClips.of(data, Subset.TRAINING, seed, TrainCommand.atLeast(frames, 2, "--frames"), g);
        SliceClips validation = SliceClips.of(data, Subset.VALIDATION, seed, frames, g);
        Sam2Training.Result r = new Sam2Training(c, init, recipe, out).run(train, validation);
        System.out.printf(Locale.ROOT, "trained %d steps; best validation Dice %.4f at step %d; weights: %s%n", r.steps(),
                r.bestDice(), r.bestStep(), r.best());
        return 0;
    }
}
