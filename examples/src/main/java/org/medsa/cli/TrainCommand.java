package org.medsa.cli;

import org.medsa.core.Seeds;
import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.training.dataset.RandomAccessDataset;
import org.medsa.adapters.MedsaCheckpoints;
import org.medsa.adapters.MedsaConfig;
import org.medsa.adapters.MedsaModel;
import org.medsa.adapters.ParameterCounts;
import org.medsa.core.MedsaException;
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

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code medsa train}: fine-tunes the adapters of a preset on a dataset. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Fine-tune Med-SA adapters on an MSD-layout dataset or a 2D images/ + masks/ folder.")
public final class TrainCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "<vit_b|vit_l|vit_h|config.json>",
            description = "Model preset or a config.json in the fixtures' layout.")
    String model;
    @Option(names = "--checkpoint", required = true, paramLabel = "<sam.pth>", description = "Base SAM weights (frozen).")
    Path checkpoint;
    @Option(names = "--adapters", required = true, paramLabel = "<paper|official-code>",
            description = "Adapter preset: paper (encoder + decoder adapters incl. HyP-Adpt) or official-code.")
    String adapters;
    @Option(names = "--data", required = true, paramLabel = "<dataset dir>",
            description = "An MSD-layout folder (dataset.json, imagesTr/, labelsTr/) or a folder with images/ and masks/.")
    Path data;
    @Option(names = "--out", required = true, paramLabel = "<run dir>",
            description = "Run folder: config.json, metrics.jsonl, checkpoint_latest.pth, adapters_best.pth.")
    Path out;
    @Option(names = "--steps", paramLabel = "N", description = "Optimiser steps (>= 1; overrides --epochs).") Integer steps;
    @Option(names = "--epochs", paramLabel = "N", description = "Passes over the training set (default 1; ignored with --steps).")
    Integer epochs;
    @Option(names = "--lr", paramLabel = "X", description = "Peak learning rate (default: 1e-3 paper, 1e-4 official-code).") Double lr;
    @Option(names = "--batch", paramLabel = "N", description = "Samples per step (default 4).") Integer batch;
    @Option(names = "--accumulate", paramLabel = "N", description = "Micro-batches per optimiser step (default 1).") Integer accumulate;
    @Option(names = "--checkpointing", description = "Recompute the encoder blocks' activations in the backward instead of keeping them"
            + " (far less memory for ViT-L/H, one more encoder forward per step).") boolean checkpointing;
    @Option(names = "--half", description = "Run the frozen encoder in float16 (adapters, norms, softmax, decoder and loss stay"
            + " float32; loss scaled by 1024). For GPUs: slower than float32 on a CPU.") boolean half;
    @Option(names = "--loss", paramLabel = "<dice-bce|sam|bce-pos-weight>",
            description = "Loss (default: dice-bce for paper, bce-pos-weight for official-code).")
    String loss;
    @Option(names = "--seed", paramLabel = "N", defaultValue = "42",
            description = "Seed of the split, the adapters' start, augmentations and prompts (default ${DEFAULT-VALUE}).")
    long seed;
    @Option(names = "--validate-every", paramLabel = "N", description = "Validate and keep the best every N steps (default: every epoch).")
    Integer validateEvery;
    @Option(names = "--volumetric", paramLabel = "D", description = "Train the SD-Trans 3D path on chunks of D slices (D >= 2).")
    Integer volumetric;
    @Option(names = "--no-augment", description = "Turn off flips, rotations and intensity shifts.") boolean noAugment;
    @Option(names = "--input-profile", paramLabel = "<sam|medsam|msa-compat>",
            description = "How images enter the model (default: the config's, sam: longest side + pad); recorded with the adapters.")
    String inputProfile;
    @Option(names = "--resume", description = "Continue the run in --out from its latest checkpoint.") boolean resume;
    @Option(names = {"--device", "--devices"}, paramLabel = "<auto|cpu|gpu|gpu:0,gpu:1|all>", defaultValue = "auto",
            description = "Devices to split batches over (default: every GPU, else the CPU).")
    String devices;
    @Option(names = "--verbose", description = "Print stack traces of errors.") boolean verbose;

    @Override
    public Integer call() throws Exception {
        // every argument is checked before anything is printed or loaded
        TrainConfig cfg = TrainConfig.forPreset(MedsaConfig.Preset.parse(adapters).id());
        cfg.seed = seed;
        if (steps != null) {
            cfg.steps = atLeast(steps, 1, "--steps");
        }
        if (epochs != null) {
            cfg.epochs = atLeast(epochs, 1, "--epochs");
        }
        if (lr != null) {
            cfg.lr = lr;
        }
        if (batch != null) {
            cfg.batch = atLeast(batch, 1, "--batch");
        }
        if (checkpointing) {
            cfg.checkpointing = true;
        }
        if (half) {
            cfg.halfPrecision = true;
        }
        if (accumulate != null) {
            cfg.accumulate = atLeast(accumulate, 1, "--accumulate");
        }
        if (loss != null) {
            cfg.loss = loss;
        }
        if (validateEvery != null) {
            cfg.validateEvery = atLeast(validateEvery, 1, "--validate-every");
        }
        cfg.validate();
        int depth = volumetric == null ? 1 : atLeast(volumetric, 2, "--volumetric");
        SamConfig samConfig = SamConfig.resolve(model);
        if (inputProfile != null) {
            samConfig.inputProfile = InputProfile.parse(inputProfile).id();
        }
        if (!Files.isRegularFile(checkpoint)) {
            throw new MedsaException(checkpoint + ": no such file");
        }
        DataOptions.check(data);
        Trainer.checkRunFolder(out, resume);
        MedsaConfig mc = MedsaConfig.preset(adapters);
        mc.volumetric |= depth > 1;
        if (depth > 1 && mc.preset == MedsaConfig.Preset.OFFICIAL_CODE) {
            mc.chunk = depth;
        }
        List<Device> devs = Devices.parse(devices);
        RandomAccessDataset trainSet = DataOptions.open(data, Subset.TRAINING, seed,
                noAugment ? null : SamplePipeline.btcvAugmentation(), depth, cfg.batch);
        RandomAccessDataset valSet = DataOptions.open(data, Subset.VALIDATION, seed, null, depth, cfg.batch);
        System.err.printf(Locale.ROOT, "data: %d training and %d validation samples%s%n", trainSet.size(), valSet.size(),
                depth > 1 ? " (chunks of " + depth + " slices)" : "");
        try (NDManager manager = NDManager.newBaseManager(devs.get(0))) {
            // the adapters' initial values come from the engine's generator: seed it
            Seeds.seedEngine(seed);
            MedsaModel m = new MedsaModel(samConfig, mc);
            MedsaCheckpoints.loadBase(m, checkpoint, manager);
            ParameterCounts counts = ParameterCounts.of(m);
            System.err.printf(Locale.ROOT, "model: %s, %s adapters, input profile %s; %,d of %,d parameters trainable (%.2f%%) on %s%n",
                    model, mc.describe(), samConfig.inputProfile, counts.trainable(), counts.total(),
                    100.0 * counts.trainable() / counts.total(), devs);
            try (Trainer t = new Trainer(Trainable.adapters(m, checkpoint), TrainingData.of(trainSet),
                    valSet.size() > 0 ? TrainingData.of(valSet) : null, cfg, out, devs, System.err)) {
                Trainer.Result r = t.run(resume);
                System.out.printf(Locale.ROOT, "trained %d steps; last loss %.4f; best validation Dice %.4f at step %d%n",
                        r.steps(), r.lastLoss(), r.bestDice(), r.bestStep());
                System.out.println("adapters: " + r.best() + " (best), " + r.latest() + " (latest, with optimiser state)");
            }
        }
        return 0;
    }

    static int atLeast(int value, int min, String flag) {
        if (value < min) {
            throw new MedsaException(flag + " must be at least " + min + ", got " + value);
        }
        return value;
    }
}
