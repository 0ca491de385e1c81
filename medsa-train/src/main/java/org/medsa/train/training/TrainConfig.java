package org.medsa.train.training;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.medsa.core.MedsaException;
import org.medsa.core.nn.ComputePrecision;
import org.medsa.train.losses.Losses;

/**
 * Hyperparameters of a training run, immutable; written to the run folder and checked on resume.
 * Start from a preset's recipe and change what differs:
 *
 * <pre>{@code
 * TrainConfig cfg = TrainConfig.builder("paper").steps(2000).batch(8).build();
 * TrainConfig longer = cfg.toBuilder().steps(4000).build();
 * }</pre>
 */
public final class TrainConfig {

    private int steps = 0;
    private int epochs = 1;
    private double lr = 1e-3;
    private double weightDecay = 0.01;
    private double beta1 = 0.9;
    private double beta2 = 0.999;
    private double eps = 1e-8;
    private double warmup = 0.05;
    private int batch = 4;
    private int accumulate = 1;
    private long seed = 42;
    private String loss = "dice-bce";
    private double boxProbability = 0.5;
    private int correctiveRounds = 1;
    private boolean randomPromptSlice = false;
    private int correctedSlices = 0;
    private double maxGradNorm = 1.0;
    private int validateEvery = 0;
    private int validationSamples = 200;
    private int checkpointEvery = 50;
    private int logEvery = 10;
    private boolean checkpointing = false;
    private boolean halfPrecision = false;
    private boolean bfloat16 = false;
    private double lossScale = 1024;

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();
    /** Copies keep NaN and infinite values, so that {@link #validate} names them. */
    private static final Gson COPY = new GsonBuilder().serializeSpecialFloatingPointValues().create();

    private TrainConfig() {}

    /** The recipe of a preset ({@code paper}: the paper's mixed prompts and Dice+BCE, or {@code official-code}'s). */
    public static TrainConfig forPreset(String preset) {
        return builder(preset).build();
    }

    /**
     * The recipe of Med-SA on SAM 2 (docs/sam2.md): SAM 2.1's loss ({@code sam2}), one chunk per
     * step, a click or a box on the first slice showing the organ then one corrective click, AdamW
     * at 1e-4 with warm-up, gradient clipping at 1; the rest as {@code paper}.
     */
    public static Builder sam2() {
        return builder("paper").loss("sam2").batch(1).lr(1e-4);
    }

    /** A builder starting from a preset's recipe. */
    public static Builder builder(String preset) {
        Builder b = new Builder(new TrainConfig());
        if ("official-code".equals(preset)) {
            b.lr(1e-4).weightDecay(0).warmup(0).loss("bce-pos-weight").boxProbability(0).correctiveRounds(0).maxGradNorm(0);
        }
        return b;
    }

    /** A builder starting from these settings. */
    public Builder toBuilder() {
        return new Builder(copy());
    }

    private TrainConfig copy() {
        return COPY.fromJson(COPY.toJsonTree(this), TrainConfig.class);
    }

    /** Optimiser steps; 0 means {@link #epochs} passes over the training set. */
    public int steps() {
        return steps;
    }

    /** Passes over the training set, used when {@link #steps} is 0. */
    public int epochs() {
        return epochs;
    }

    /** Peak learning rate of AdamW. */
    public double lr() {
        return lr;
    }

    /** AdamW's decoupled weight decay. */
    public double weightDecay() {
        return weightDecay;
    }

    /** AdamW's first-moment decay. */
    public double beta1() {
        return beta1;
    }

    /** AdamW's second-moment decay. */
    public double beta2() {
        return beta2;
    }

    /** AdamW's epsilon. */
    public double eps() {
        return eps;
    }

    /** Fraction of the steps spent in linear warm-up; then cosine decay to zero. */
    public double warmup() {
        return warmup;
    }

    /** Samples per micro-batch (volumes when training on chunks). */
    public int batch() {
        return batch;
    }

    /** Micro-batches whose gradients are summed before one optimiser step. */
    public int accumulate() {
        return accumulate;
    }

    /** Seed of the data order, the prompts and the validation samples. */
    public long seed() {
        return seed;
    }

    /** Loss name, see {@link Losses#NAMES}. */
    public String loss() {
        return loss;
    }

    /** Probability that a step's first prompt is a (jittered) box rather than a click. */
    public double boxProbability() {
        return boxProbability;
    }

    /** Corrective-click rounds after the first prompt (each feeds the previous logits back). */
    public int correctiveRounds() {
        return correctiveRounds;
    }

    /**
     * SAM 2: the prompted slice of a chunk is a random one of the slices showing the organ (false:
     * the first of them).
     */
    public boolean randomPromptSlice() {
        return randomPromptSlice;
    }

    /**
     * SAM 2: how many other slices of a chunk, drawn at random, also get {@link #correctiveRounds}
     * corrective clicks from their tracked masks' errors and then enter the memory as conditioning
     * slices (SAM 2's training: {@code num_frames_to_correct_for_train}, {@code
     * add_all_frames_to_correct_as_cond}); 0 corrects the prompted slice only.
     */
    public int correctedSlices() {
        return correctedSlices;
    }

    /** Clip the global gradient norm to this value (0 = off). */
    public double maxGradNorm() {
        return maxGradNorm;
    }

    /** Validate (and keep the best) every so many steps; 0 = once per epoch. */
    public int validateEvery() {
        return validateEvery;
    }

    /** Validation samples used for the keep-best Dice (0 = all). */
    public int validationSamples() {
        return validationSamples;
    }

    /** Write the latest checkpoint every so many steps (and always at the end). */
    public int checkpointEvery() {
        return checkpointEvery;
    }

    /** Print a progress line every so many steps when not on a terminal. */
    public int logEvery() {
        return logEvery;
    }

    /**
     * Activation checkpointing of the encoder blocks: their activations are recomputed block by
     * block in the backward instead of kept (less memory, one more encoder forward per step).
     */
    public boolean checkpointing() {
        return checkpointing;
    }

    /**
     * The frozen encoder in float16 ({@code ImageEncoderViT.halfPrecision}; adapters, LayerNorm,
     * softmax, decoder and loss stay float32). Meant for GPUs; slower than float32 on a CPU.
     */
    public boolean halfPrecision() {
        return halfPrecision;
    }

    /**
     * The frozen encoder's arithmetic: {@code fp16} ({@link #halfPrecision}), {@code bf16} (the
     * same rules in bfloat16, which has float32's range, so no loss scaling; about twice the
     * float32 rate on CPUs with AVX512-BF16 or AMX and on GPUs) or {@code fp32}.
     */
    public ComputePrecision precision() {
        return halfPrecision ? ComputePrecision.FP16 : bfloat16 ? ComputePrecision.BF16 : ComputePrecision.FP32;
    }

    /**
     * With {@link #halfPrecision}: the loss is multiplied by this before the backward pass and the
     * gradients divided by it before clipping, so small gradients inside the float16 blocks do not
     * flush to zero. A step whose gradients overflow is skipped and the scale halved; after 1000
     * good steps it is doubled again (the running scale is not saved: a resumed run starts here).
     */
    public double lossScale() {
        return lossScale;
    }

    /** The JSON form (every field by its Java name). */
    public JsonObject toJson() {
        return GSON.toJsonTree(this).getAsJsonObject();
    }

    /** The JSON form as indented text. */
    public String toPrettyJson() {
        return GSON.toJson(this);
    }

    /** Reads the form {@link #toJson} writes; missing fields keep their defaults, nothing is validated. */
    public static TrainConfig fromJson(JsonObject o) {
        return GSON.fromJson(o, TrainConfig.class);
    }

    /**
     * Checks the settings and returns this.
     *
     * @throws MedsaException naming every problem
     */
    public TrainConfig validate() {
        List<String> p = new ArrayList<>();
        if (steps < 0) {
            p.add("--steps must be >= 0");
        }
        if (epochs < 1 && steps == 0) {
            p.add("--epochs must be >= 1");
        }
        if (!(lr > 0) || !Double.isFinite(lr)) {
            p.add("--lr must be a positive number");
        }
        if (batch < 1) {
            p.add("--batch must be >= 1");
        }
        if (!(lossScale > 0) || !Double.isFinite(lossScale)) {
            p.add("lossScale must be a positive number");
        }
        if (accumulate < 1) {
            p.add("accumulate must be >= 1");
        }
        if (warmup < 0 || warmup >= 1) {
            p.add("warmup must be in [0, 1)");
        }
        if (!Losses.NAMES.contains(loss) && !"sam2".equals(loss)) {
            p.add("loss must be one of " + Losses.NAMES + " or sam2 (SAM 2 models)");
        }
        if (boxProbability < 0 || boxProbability > 1) {
            p.add("box probability must be in [0, 1]");
        }
        if (correctiveRounds < 0) {
            p.add("corrective rounds must be >= 0");
        }
        if (correctedSlices < 0) {
            p.add("corrected slices must be >= 0");
        }
        if (correctedSlices > 0 && correctiveRounds == 0) {
            p.add("corrected slices need at least one corrective round");
        }
        if (!p.isEmpty()) {
            throw new MedsaException("invalid training settings: " + String.join("; ", p));
        }
        return this;
    }

    /** Settings being made; {@link #build} checks them. Each setter's value is described at its getter. */
    public static final class Builder {
        private final TrainConfig c;

        private Builder(TrainConfig c) {
            this.c = c;
        }

        /** See {@link TrainConfig#steps()}. */
        public Builder steps(int value) {
            c.steps = value;
            return this;
        }

        /** The value set so far. */
        public int steps() {
            return c.steps;
        }

        /** See {@link TrainConfig#epochs()}. */
        public Builder epochs(int value) {
            c.epochs = value;
            return this;
        }

        /** The value set so far. */
        public int epochs() {
            return c.epochs;
        }

        /** See {@link TrainConfig#lr()}. */
        public Builder lr(double value) {
            c.lr = value;
            return this;
        }

        /** The value set so far. */
        public double lr() {
            return c.lr;
        }

        /** See {@link TrainConfig#weightDecay()}. */
        public Builder weightDecay(double value) {
            c.weightDecay = value;
            return this;
        }

        /** The value set so far. */
        public double weightDecay() {
            return c.weightDecay;
        }

        /** See {@link TrainConfig#beta1()}. */
        public Builder beta1(double value) {
            c.beta1 = value;
            return this;
        }

        /** The value set so far. */
        public double beta1() {
            return c.beta1;
        }

        /** See {@link TrainConfig#beta2()}. */
        public Builder beta2(double value) {
            c.beta2 = value;
            return this;
        }

        /** The value set so far. */
        public double beta2() {
            return c.beta2;
        }

        /** See {@link TrainConfig#eps()}. */
        public Builder eps(double value) {
            c.eps = value;
            return this;
        }

        /** The value set so far. */
        public double eps() {
            return c.eps;
        }

        /** See {@link TrainConfig#warmup()}. */
        public Builder warmup(double value) {
            c.warmup = value;
            return this;
        }

        /** The value set so far. */
        public double warmup() {
            return c.warmup;
        }

        /** See {@link TrainConfig#batch()}. */
        public Builder batch(int value) {
            c.batch = value;
            return this;
        }

        /** The value set so far. */
        public int batch() {
            return c.batch;
        }

        /** See {@link TrainConfig#accumulate()}. */
        public Builder accumulate(int value) {
            c.accumulate = value;
            return this;
        }

        /** The value set so far. */
        public int accumulate() {
            return c.accumulate;
        }

        /** See {@link TrainConfig#seed()}. */
        public Builder seed(long value) {
            c.seed = value;
            return this;
        }

        /** The value set so far. */
        public long seed() {
            return c.seed;
        }

        /** See {@link TrainConfig#loss()}. */
        public Builder loss(String value) {
            c.loss = value;
            return this;
        }

        /** The value set so far. */
        public String loss() {
            return c.loss;
        }

        /** See {@link TrainConfig#boxProbability()}. */
        public Builder boxProbability(double value) {
            c.boxProbability = value;
            return this;
        }

        /** The value set so far. */
        public double boxProbability() {
            return c.boxProbability;
        }

        /** See {@link TrainConfig#randomPromptSlice()}. */
        public Builder randomPromptSlice(boolean value) {
            c.randomPromptSlice = value;
            return this;
        }

        /** See {@link TrainConfig#correctedSlices()}. */
        public Builder correctedSlices(int value) {
            c.correctedSlices = value;
            return this;
        }

        /** See {@link TrainConfig#correctiveRounds()}. */
        public Builder correctiveRounds(int value) {
            c.correctiveRounds = value;
            return this;
        }

        /** The value set so far. */
        public int correctiveRounds() {
            return c.correctiveRounds;
        }

        /** See {@link TrainConfig#maxGradNorm()}. */
        public Builder maxGradNorm(double value) {
            c.maxGradNorm = value;
            return this;
        }

        /** The value set so far. */
        public double maxGradNorm() {
            return c.maxGradNorm;
        }

        /** See {@link TrainConfig#validateEvery()}. */
        public Builder validateEvery(int value) {
            c.validateEvery = value;
            return this;
        }

        /** The value set so far. */
        public int validateEvery() {
            return c.validateEvery;
        }

        /** See {@link TrainConfig#validationSamples()}. */
        public Builder validationSamples(int value) {
            c.validationSamples = value;
            return this;
        }

        /** The value set so far. */
        public int validationSamples() {
            return c.validationSamples;
        }

        /** See {@link TrainConfig#checkpointEvery()}. */
        public Builder checkpointEvery(int value) {
            c.checkpointEvery = value;
            return this;
        }

        /** The value set so far. */
        public int checkpointEvery() {
            return c.checkpointEvery;
        }

        /** See {@link TrainConfig#logEvery()}. */
        public Builder logEvery(int value) {
            c.logEvery = value;
            return this;
        }

        /** The value set so far. */
        public int logEvery() {
            return c.logEvery;
        }

        /** See {@link TrainConfig#checkpointing()}. */
        public Builder checkpointing(boolean value) {
            c.checkpointing = value;
            return this;
        }

        /** The value set so far. */
        public boolean checkpointing() {
            return c.checkpointing;
        }

        /** See {@link TrainConfig#halfPrecision()}. */
        public Builder halfPrecision(boolean value) {
            c.halfPrecision = value;
            c.bfloat16 = c.bfloat16 && !value;
            return this;
        }

        /** See {@link TrainConfig#precision()}. */
        public Builder precision(ComputePrecision p) {
            c.halfPrecision = p == ComputePrecision.FP16;
            c.bfloat16 = p == ComputePrecision.BF16;
            return this;
        }

        /** The value set so far. */
        public boolean halfPrecision() {
            return c.halfPrecision;
        }

        /** See {@link TrainConfig#lossScale()}. */
        public Builder lossScale(double value) {
            c.lossScale = value;
            return this;
        }

        /** The value set so far. */
        public double lossScale() {
            return c.lossScale;
        }

        /**
         * The settings.
         *
         * @throws MedsaException naming every problem
         */
        public TrainConfig build() {
            return c.copy().validate();
        }
    }
}
