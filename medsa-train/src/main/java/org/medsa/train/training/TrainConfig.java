package org.medsa.train.training;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import org.medsa.core.MedsaException;
import org.medsa.train.losses.Losses;

import java.util.ArrayList;
import java.util.List;

/** Hyperparameters of a training run; written to the run folder and checked on resume. */
public final class TrainConfig {

    /** Optimiser steps; 0 means {@link #epochs} passes over the training set. */
    public int steps = 0;
    /** Passes over the training set, used when {@link #steps} is 0. */
    public int epochs = 1;
    /** Peak learning rate of AdamW. */
    public double lr = 1e-3;
    /** AdamW's decoupled weight decay. */
    public double weightDecay = 0.01;
    /** AdamW's first-moment decay. */
    public double beta1 = 0.9;
    /** AdamW's second-moment decay. */
    public double beta2 = 0.999;
    /** AdamW's epsilon. */
    public double eps = 1e-8;
    /** Fraction of the steps spent in linear warm-up; then cosine decay to zero. */
    public double warmup = 0.05;
    /** Samples per micro-batch (volumes when training on chunks). */
    public int batch = 4;
    /** Micro-batches whose gradients are summed before one optimiser step. */
    public int accumulate = 1;
    /** Seed of the data order, the prompts and the validation samples. */
    public long seed = 42;
    /** Loss name, see {@link Losses#NAMES}. */
    public String loss = "dice-bce";
    /** Probability that a step's first prompt is a (jittered) box rather than a click. */
    public double boxProbability = 0.5;
    /** Corrective-click rounds after the first prompt (each feeds the previous logits back). */
    public int correctiveRounds = 1;
    /** Clip the global gradient norm to this value (0 = off). */
    public double maxGradNorm = 1.0;
    /** Validate (and keep the best) every so many steps; 0 = once per epoch. */
    public int validateEvery = 0;
    /** Validation samples used for the keep-best Dice (0 = all). */
    public int validationSamples = 200;
    /** Write the latest checkpoint every so many steps (and always at the end). */
    public int checkpointEvery = 50;
    /** Print a progress line every so many steps when not on a terminal. */
    public int logEvery = 10;
    /**
     * Activation checkpointing of the encoder blocks: their activations are recomputed block by
     * block in the backward instead of kept (less memory, one more encoder forward per step).
     */
    public boolean checkpointing = false;
    /**
     * The frozen encoder in float16 ({@code ImageEncoderViT.halfPrecision}; adapters, LayerNorm,
     * softmax, decoder and loss stay float32). Meant for GPUs; slower than float32 on a CPU.
     */
    public boolean halfPrecision = false;
    /**
     * With {@link #halfPrecision}: the loss is multiplied by this before the backward pass and the
     * gradients divided by it before clipping, so small gradients inside the float16 blocks do not
     * flush to zero. A step whose gradients overflow is skipped and the scale halved; after 1000
     * good steps it is doubled again (the running scale is not saved: a resumed run starts here).
     */
    public double lossScale = 1024;

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();

    /** The recipe of a preset: the paper's mixed prompts and Dice+BCE, or the official code's. */
    public static TrainConfig forPreset(String preset) {
        TrainConfig c = new TrainConfig();
        if ("official-code".equals(preset)) {
            c.lr = 1e-4;
            c.weightDecay = 0;
            c.warmup = 0;
            c.loss = "bce-pos-weight";
            c.boxProbability = 0;
            c.correctiveRounds = 0;
            c.maxGradNorm = 0;
        }
        return c;
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
        if (!Losses.NAMES.contains(loss)) {
            p.add("loss must be one of " + Losses.NAMES);
        }
        if (boxProbability < 0 || boxProbability > 1) {
            p.add("box probability must be in [0, 1]");
        }
        if (correctiveRounds < 0) {
            p.add("corrective rounds must be >= 0");
        }
        if (!p.isEmpty()) {
            throw new MedsaException("invalid training settings: " + String.join("; ", p));
        }
        return this;
    }
}
