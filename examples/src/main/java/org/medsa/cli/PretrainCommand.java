package org.medsa.cli;

import org.medsa.core.Seeds;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.dataset.RandomAccessDataset;
import org.medsa.core.io.StateDictLoader;
import org.medsa.core.modeling.Sam;
import org.medsa.core.geometry.InputProfile;
import org.medsa.core.modeling.SamConfig;
import org.medsa.data.dataset.Subset;
import org.medsa.data.transforms.SamplePipeline;
import org.medsa.train.training.TrainConfig;
import org.medsa.train.training.Trainable;
import org.medsa.train.training.Trainer;
import org.medsa.train.training.TrainingData;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code medsa pretrain}: trains every weight of a (small) SAM, from random initialisation or a
 * checkpoint. It made the demo's base model; with real data it is plain SAM fine-tuning.
 */
@Command(name = "pretrain", mixinStandardHelpOptions = true,
        description = "Train all weights of a SAM model (from scratch or --init) on a dataset; writes sam_best.pth.")
public final class PretrainCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "<vit_b|vit_l|vit_h|config.json>",
            description = "Model preset or a config.json in the fixtures' layout.")
    String model;
    @Option(names = "--init", paramLabel = "<sam.pth>", description = "Start from these weights (default: random, seeded).") Path init;
    @Option(names = "--data", required = true, paramLabel = "<dataset dir>",
            description = "An MSD-layout folder or a folder with images/ and masks/.")
    Path data;
    @Option(names = "--out", required = true, paramLabel = "<run dir>",
            description = "Run folder: config.json, metrics.jsonl, checkpoint_latest.pth, sam_best.pth.")
    Path out;
    @Option(names = "--steps", paramLabel = "N", description = "Optimiser steps (>= 1; overrides --epochs).") Integer steps;
    @Option(names = "--epochs", paramLabel = "N", description = "Passes over the training set (default 1).") Integer epochs;
    @Option(names = "--lr", paramLabel = "X", defaultValue = "1e-3", description = "Peak learning rate (default ${DEFAULT-VALUE}).") double lr;
    @Option(names = "--batch", paramLabel = "N", defaultValue = "16", description = "Samples per step (default ${DEFAULT-VALUE}).") int batch;
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
        TrainConfig cfg = TrainConfig.forPreset("paper");
        cfg.lr = lr;
        cfg.batch = batch;
        cfg.seed = seed;
        cfg.loss = "sam";
        cfg.warmup = 0.02;
        cfg.correctiveRounds = 2;
        if (steps != null) {
            cfg.steps = TrainCommand.atLeast(steps, 1, "--steps");
        }
        if (epochs != null) {
            cfg.epochs = TrainCommand.atLeast(epochs, 1, "--epochs");
        }
        TrainCommand.atLeast(batch, 1, "--batch");
        cfg.validate();
        SamConfig samConfig = SamConfig.resolve(model);
        if (inputProfile != null) {
            samConfig.inputProfile = InputProfile.parse(inputProfile).id();
        }
        if (init != null && !java.nio.file.Files.isRegularFile(init)) {
            throw new org.medsa.core.MedsaException(init + ": no such file");
        }
        DataOptions.check(data);
        Trainer.checkRunFolder(out, resume);
        var devs = Devices.parse(devices);
        RandomAccessDataset trainSet = DataOptions.open(data, Subset.TRAINING, seed, SamplePipeline.btcvAugmentation(), 1, batch);
        RandomAccessDataset valSet = DataOptions.open(data, Subset.VALIDATION, seed, null, 1, batch);
        System.err.printf(Locale.ROOT, "data: %d training and %d validation samples%n", trainSet.size(), valSet.size());
        try (NDManager manager = NDManager.newBaseManager(devs.get(0))) {
            Sam sam = new Sam(samConfig);
            if (init != null) {
                StateDictLoader.load(sam, init, manager, new StateDictLoader.Options());
            }
            Seeds.seedEngine(seed);
            sam.initialize(manager, DataType.FLOAT32);
            try (Trainer t = new Trainer(Trainable.fullModel(sam), TrainingData.of(trainSet), TrainingData.of(valSet), cfg, out,
                    devs, System.err)) {
                Trainer.Result r = t.run(resume);
                System.out.printf(Locale.ROOT, "trained %d steps; best validation Dice %.4f at step %d; weights: %s%n",
                        r.steps(), r.bestDice(), r.bestStep(), r.best());
            }
        }
        return 0;
    }
}
