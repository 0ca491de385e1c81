package org.medsa.cli;

import ai.djl.Device;
import ai.djl.training.dataset.RandomAccessDataset;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.medsa.adapters.MedsaConfig;
import org.medsa.adapters.ModelLoader;
import org.medsa.core.Diagnostics;
import org.medsa.core.MedsaException;
import org.medsa.core.modeling.SamConfig;
import org.medsa.core.modeling.sam2.Sam2Config;
import org.medsa.data.dataset.Datasets;
import org.medsa.data.dataset.Subset;
import org.medsa.data.transforms.SamplePipeline;
import org.medsa.data.transforms.SampleTransform;
import org.medsa.train.FineTuning;
import org.medsa.train.training.RunFolder;
import org.medsa.train.training.TrainConfig;
import org.medsa.train.training.Trainer;
import org.medsa.train.training.TrainingData;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code medsa train}: fine-tunes the adapters of a preset on a dataset. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Fine-tune Med-SA adapters on an MSD-layout dataset or a 2D images/ + masks/ folder; with a SAM 2 model,"
                + " on chunks of slices tracked with memory.")
public final class TrainCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "<vit_b|vit_l|vit_h|sam2.1_hiera_t|...|medsam2|config.json>",
            description = "Model preset or a config.json in the fixtures' layout (SAM or SAM 2).")
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
    @Option(names = "--lr", paramLabel = "X",
            description = "Peak learning rate (default: 1e-3 paper, 1e-4 official-code and SAM 2).") Double lr;
    @Option(names = "--batch", paramLabel = "N", description = "Samples per step (default 4).") Integer batch;
    @Option(names = "--accumulate", paramLabel = "N",
            description = "Micro-batches per optimiser step (default 1).") Integer accumulate;
    @Option(names = "--checkpointing",
            description = "Recompute the encoder blocks' activations in the backward instead of keeping them"
            + " (far less memory for ViT-L/H, one more encoder forward per step).") boolean checkpointing;
    @Option(names = "--half", description = "Run the frozen encoder in float16 (adapters, norms, softmax, decoder and loss stay"
            + " float32; loss scaled by 1024), as --precision fp16. For GPUs: slower than float32 on a CPU.") boolean half;
    @Mixin PrecisionOption precision;
    @Option(names = "--loss", paramLabel = "<dice-bce|sam|bce-pos-weight|sam2>",
            description = "Loss (default: dice-bce for paper, bce-pos-weight for official-code, sam2 (SAM 2.1's) for SAM 2"
                    + " models).")
    String loss;
    @Option(names = "--seed", paramLabel = "N", defaultValue = "42",
            description = "Seed of the split, the adapters' start, augmentations and prompts (default ${DEFAULT-VALUE}).")
    long seed;
    @Option(names = "--validate-every", paramLabel = "N",
            description = "Validate and keep the best every N steps (default: every epoch).")
    Integer validateEvery;
    @Option(names = "--volumetric", paramLabel = "D", description = "Train the SD-Trans 3D path on chunks of D slices (D >= 2).")
    Integer volumetric;
    @Option(names = "--sequence", paramLabel = "T",
            description = "SAM 2: slices per training chunk, tracked with memory (default 8, at least 2).")
    Integer sequence;
    @Option(names = "--prompt-slice", paramLabel = "<first|random>",
            description = "SAM 2: which slice of a chunk gets the prompt: the first showing the organ (default) or a random"
                    + " one of them.")
    String promptSlice;
    @Option(names = "--corrected-slices", paramLabel = "N",
            description = "SAM 2: how many other slices of each chunk, drawn at random, also get corrective clicks from their"
                    + " tracked masks' errors and enter the memory as conditioning slices, as SAM 2's training does (default"
                    + " 0: the prompted slice only).")
    Integer correctedSlices;
    @Option(names = "--train-memory", description = "SAM 2: train the memory attention and memory encoder too.")
    boolean trainMemory;
    @Option(names = "--no-augment", description = "Turn off flips, rotations and intensity shifts.") boolean noAugment;
    @Option(names = "--input-profile", paramLabel = "<sam|medsam|msa-compat>",
            description = "How images enter the model (default: the config's, sam: longest side + pad); recorded with the "
                    + "adapters.")
    String inputProfile;
    @Option(names = "--resume", description = "Continue the run in --out from its latest checkpoint.") boolean resume;
    @Option(names = {"--device", "--devices"}, paramLabel = "<auto|cpu|gpu|gpu:0,gpu:1|all>", defaultValue = "auto",
            description = "Devices to split batches over (default: every GPU, else the CPU).")
    String devices;
    @Option(names = "--verbose", description = "Print stack traces of errors.") boolean verbose;

    @Override
    public Integer call() throws Exception {
        // every argument is checked before anything is printed or loaded
        boolean sam2 = ModelLoader.isSam2(model);
        if (!sam2 && (sequence != null || promptSlice != null || trainMemory || correctedSlices != null)) {
            throw new MedsaException("--sequence, --prompt-slice, --corrected-slices and --train-memory apply to SAM 2 models");
        }
        if (sam2 && volumetric != null) {
            throw new MedsaException("--volumetric trains SD-Trans, which SAM 2 does not have; SAM 2 trains on chunks of"
                    + " --sequence slices");
        }
        if (sam2 && inputProfile != null) {
            throw new MedsaException("--input-profile applies to SAM models; SAM 2 always takes its own frame transform");
        }
        if (promptSlice != null && !promptSlice.equals("first") && !promptSlice.equals("random")) {
            throw new MedsaException("--prompt-slice must be first or random, got '" + promptSlice + "'");
        }
        TrainConfig.Builder b = (sam2 ? TrainConfig.sam2() : TrainConfig.builder(MedsaConfig.Preset.parse(adapters).id()))
                .seed(seed).randomPromptSlice("random".equals(promptSlice));
        if (correctedSlices != null) {
            b.correctedSlices(atLeast(correctedSlices, 0, "--corrected-slices"));
        }
        if (steps != null) {
            b.steps(atLeast(steps, 1, "--steps"));
        }
        if (epochs != null) {
            b.epochs(atLeast(epochs, 1, "--epochs"));
        }
        if (lr != null) {
            b.lr(lr);
        }
        if (batch != null) {
            b.batch(atLeast(batch, 1, "--batch"));
        }
        if (accumulate != null) {
            b.accumulate(atLeast(accumulate, 1, "--accumulate"));
        }
        if (loss != null) {
            b.loss(loss);
        }
        if (validateEvery != null) {
            b.validateEvery(atLeast(validateEvery, 1, "--validate-every"));
        }
        TrainConfig cfg = b.checkpointing(checkpointing).precision(precision.resolve(null, half)).build();
        int depth = sam2 ? (sequence == null ? 8 : atLeast(sequence, 2, "--sequence"))
                : volumetric == null ? 1 : atLeast(volumetric, 2, "--volumetric");
        SamConfig samConfig = sam2 ? null : SamConfig.resolve(model);
        Sam2Config sam2Config = sam2 ? Sam2Config.resolve(model) : null;
        ModelLoader.requireFile(checkpoint);
        Datasets.layout(data);
        RunFolder.check(out, resume);
        List<Device> devs = Devices.parse(devices);
        SampleTransform augmentation = noAugment ? null : SamplePipeline.btcvAugmentation();
        RandomAccessDataset trainSet = Datasets.open(data, Subset.TRAINING, seed, augmentation, depth, cfg.batch());
        RandomAccessDataset valSet = Datasets.open(data, Subset.VALIDATION, seed, null, depth, cfg.batch());
        if (trainSet.size() < cfg.batch()) {
            throw new MedsaException(data + ": " + trainSet.size() + " training samples" + (depth > 1 ? " (chunks of " + depth
                    + " slices)" : "") + ", fewer than one batch of " + cfg.batch() + " (--batch)");
        }
        // said once training is under way; a run refused before that says only its error
        Diagnostics.Deferred console = Diagnostics.deferred(Diagnostics.stderr());
        console.note(String.format(Locale.ROOT, "data: %d training and %d validation samples%s", trainSet.size(), valSet.size(),
                depth > 1 ? " (chunks of " + depth + " slices)" : ""));
        FineTuning tuning = sam2 ? new FineTuning(sam2Config, checkpoint, MedsaConfig.preset(adapters), trainMemory, cfg, out)
                : new FineTuning(samConfig, checkpoint, MedsaConfig.preset(adapters).forDepth(depth), cfg, out)
                        .inputProfile(inputProfile);
        Trainer.Result r = tuning.devices(devs).console(console)
                .train(TrainingData.of(trainSet), valSet.size() > 0 ? TrainingData.of(valSet) : null, resume);
        console.flush();
        System.out.printf(Locale.ROOT, "trained %d steps; last loss %.4f; best validation Dice %.4f at step %d%n",
                r.steps(), r.lastLoss(), r.bestDice(), r.bestStep());
        System.out.println("adapters: " + r.best() + " (best), " + r.latest() + " (latest, with optimiser state)");
        return 0;
    }

    static int atLeast(int value, int min, String flag) {
        if (value < min) {
            throw new MedsaException(flag + " must be at least " + min + ", got " + value);
        }
        return value;
    }
}
