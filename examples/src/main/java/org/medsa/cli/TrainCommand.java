package org.medsa.cli;

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

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code medsa train}: fine-tunes the adapters of a preset on a dataset. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Fine-tune Med-SA adapters on an MSD-layout dataset or a 2D images/ + masks/ folder.")
public final class TrainCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "<preset|config.json>") String model;
    @Option(names = "--checkpoint", required = true, paramLabel = "<sam.pth>", description = "Base SAM weights.") Path checkpoint;
    @Option(names = "--adapters", required = true, paramLabel = "<paper|official-code>") String adapters;
    @Option(names = "--data", required = true, paramLabel = "<dataset dir>") Path data;
    @Option(names = "--epochs", paramLabel = "N", description = "Passes over the training set (default 1; ignored with --steps).") Integer epochs;
    @Option(names = "--steps", paramLabel = "N", description = "Optimiser steps (overrides --epochs).") Integer steps;
    @Option(names = "--lr", paramLabel = "X", description = "Peak learning rate (default: 1e-3 paper, 1e-4 official-code).") Double lr;
    @Option(names = "--batch", paramLabel = "N", description = "Samples per step (default 4).") Integer batch;
    @Option(names = "--seed", paramLabel = "N", defaultValue = "42") long seed;
    @Option(names = "--resume", description = "Continue the run in --out from its latest checkpoint.") boolean resume;
    @Option(names = "--out", required = true, paramLabel = "<run dir>") Path out;
    @Option(names = "--accumulate", paramLabel = "N", description = "Micro-batches per optimiser step.") Integer accumulate;
    @Option(names = "--loss", paramLabel = "<dice-bce|sam|bce-pos-weight>") String loss;
    @Option(names = "--volumetric", paramLabel = "D", description = "Train the SD-Trans 3D path on chunks of D slices.") Integer volumetric;
    @Option(names = "--validate-every", paramLabel = "N") Integer validateEvery;
    @Option(names = "--no-augment", description = "Turn off flips, rotations and intensity shifts.") boolean noAugment;
    @Option(names = "--devices", paramLabel = "<cpu|gpu|gpu:0,gpu:1|all>", defaultValue = "auto",
            description = "Devices to split batches over (default: every GPU, else the CPU).") String devices;
    @Option(names = "--input-profile", paramLabel = "<sam|medsam|msa-compat>",
            description = "How images enter the model (default: the config's, sam: longest side + pad); recorded with the weights.")
    String inputProfile;
    @Option(names = "--verbose") boolean verbose;

    @Override
    public Integer call() throws Exception {
        TrainConfig cfg = TrainConfig.forPreset(MedsaConfig.Preset.parse(adapters).id());
        cfg.seed = seed;
        if (epochs != null) {
            cfg.epochs = epochs;
        }
        if (steps != null) {
            cfg.steps = steps;
        }
        if (lr != null) {
            cfg.lr = lr;
        }
        if (batch != null) {
            cfg.batch = batch;
        }
        if (accumulate != null) {
            cfg.accumulate = accumulate;
        }
        if (loss != null) {
            cfg.loss = loss;
        }
        if (validateEvery != null) {
            cfg.validateEvery = validateEvery;
        }
        cfg.validate();
        SamConfig samConfig = SamConfig.resolve(model);
        if (inputProfile != null) {
            samConfig.inputProfile = InputProfile.parse(inputProfile).id();
        }
        MedsaConfig mc = MedsaConfig.preset(adapters);
        int depth = volumetric == null ? 1 : volumetric;
        if (depth < 1) {
            throw new MedsaException("--volumetric must be >= 1");
        }
        mc.volumetric |= depth > 1;
        if (depth > 1 && mc.preset == MedsaConfig.Preset.OFFICIAL_CODE) {
            mc.chunk = depth;
        }
        List<Device> devs = devices(devices);
        System.err.println("loading data from " + data + " ...");
        RandomAccessDataset trainSet = DataOptions.open(data, Subset.TRAINING, seed,
                noAugment ? null : SamplePipeline.btcvAugmentation(), depth, cfg.batch);
        RandomAccessDataset valSet = DataOptions.open(data, Subset.VALIDATION, seed, null, depth, cfg.batch);
        System.err.printf(Locale.ROOT, "data: %d training and %d validation samples%s%n", trainSet.size(), valSet.size(),
                depth > 1 ? " (chunks of " + depth + " slices)" : "");
        try (NDManager manager = NDManager.newBaseManager(devs.get(0))) {
            // the adapters' initial values come from the engine's generator: seed it
            Engine.getInstance().setRandomSeed((int) seed);
            MedsaModel m = new MedsaModel(samConfig, mc);
            MedsaCheckpoints.loadBase(m, checkpoint, manager);
            ParameterCounts counts = ParameterCounts.of(m);
            System.err.printf(Locale.ROOT, "model: %s, %s adapters; %,d of %,d parameters trainable (%.2f%%) on %s%n",
                    model, mc.describe(), counts.trainable(), counts.total(), 100.0 * counts.trainable() / counts.total(), devs);
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

    /** Parses --devices: auto (every GPU, else CPU), cpu, gpu, gpu:N[,gpu:M], all. */
    static List<Device> devices(String spec) {
        Engine e = Engine.getInstance();
        List<Device> out = new ArrayList<>();
        if (spec == null || spec.equals("auto") || spec.equals("all")) {
            int n = e.getGpuCount();
            for (int i = 0; i < n; i++) {
                out.add(Device.gpu(i));
            }
            if (out.isEmpty()) {
                out.add(Device.cpu());
            }
            return out;
        }
        for (String s : spec.split(",")) {
            Device d;
            try {
                d = Device.fromName(s.trim());
            } catch (IllegalArgumentException ex) {
                d = null;
            }
            if (d == null || !(d.isGpu() || Device.Type.CPU.equals(d.getDeviceType()))) {
                throw new MedsaException("--devices: '" + s + "' is not a device (use cpu, gpu, gpu:N or all)");
            }
            if (d.isGpu() && d.getDeviceId() >= e.getGpuCount()) {
                throw new MedsaException("--devices: no " + s + " here (found " + e.getGpuCount() + " GPUs)");
            }
            out.add(d);
        }
        return out;
    }
}
