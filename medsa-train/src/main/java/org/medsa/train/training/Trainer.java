package org.medsa.train.training;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.medsa.adapters.AdaptedEncoderBlock;
import org.medsa.adapters.MedsaModel;
import org.medsa.core.Diagnostics;
import org.medsa.core.MedsaException;
import org.medsa.core.ProgressLine;
import org.medsa.core.Seeds;
import org.medsa.core.modeling.PromptableModel;
import org.medsa.core.modeling.Sam;
import org.medsa.core.modeling.sam2.Sam2Model;
import org.medsa.core.nn.ActivationCheckpoints;
import org.medsa.core.nn.Ops;
import org.medsa.core.nn.TorchBlock;
import org.medsa.data.transforms.Sample;
import org.medsa.train.losses.Losses;
import org.medsa.train.sam2.SequenceRounds;

/**
 * Fine-tunes the trainable parameters of a model ({@link Trainable}: a Med-SA model's adapters, or
 * every weight of a SAM) with AdamW, warm-up + cosine decay, gradient accumulation and, when
 * several devices are given, data parallelism. Every step is seeded from (seed, step), so a run
 * resumed from its latest checkpoint ends with the same weights as an uninterrupted one.
 *
 * <p>The step's prompts are {@link PromptRounds}'; the run folder is a {@link RunFolder}; a float16
 * encoder's loss scaling is a {@link LossScaler}'s.
 */
public final class Trainer implements AutoCloseable {

    /** The outcome of a run. */
    public record Result(int steps, double lastLoss, double bestDice, int bestStep, Path latest, Path best) {}

    /** The keep-best score of a run (higher is better): SAM's {@link Validator}, or evaluation's 3D Dice for SAM 2. */
    @FunctionalInterface
    public interface Validation {
        /** The score now. */
        double dice();
    }

    private final Trainable trainable;
    private final PromptableModel model;
    /** SAM (slices, prompt rounds) or SAM 2 (chunks tracked with memory): exactly one is set. */
    private final Sam sam;
    private final Sam2Model sam2;
    private final SequenceRounds sequences;
    private final TrainingData train;
    private final Validation validator;
    private final TrainConfig cfg;
    private final RunFolder run;
    private final Diagnostics console;
    private final NDManager manager;
    private final Map<String, Parameter> optimized;
    private final List<ReplicaStore> replicas = new ArrayList<>();
    private final PromptRounds rounds;
    private final LossScaler scaler;
    private final AdamW optimizer;
    private final int stepsPerEpoch;
    private final int totalSteps;
    private final LrSchedule schedule;
    private double bestDice = Double.NEGATIVE_INFINITY;
    private int bestStep = -1;

    /**
     * @param validation validation data for keep-best (null: the latest is also the best)
     * @param devices the devices to split each batch over; the model's own device comes first
     * @param console where progress and validation results go
     */
    public Trainer(Trainable trainable, TrainingData train, TrainingData validation, TrainConfig cfg, Path runDir,
            List<Device> devices, Diagnostics console) {
        this(trainable, train, cfg, runDir, devices, console,
                validation == null ? null : samValidator(trainable, validation, cfg));
    }

    private static Validation samValidator(Trainable trainable, TrainingData validation, TrainConfig cfg) {
        if (!(trainable.model() instanceof Sam s)) {
            throw new MedsaException("a SAM 2 run is validated in 3D: give it the validation volumes (FineTuning)");
        }
        return new Validator(s, validation, cfg.validationSamples(), cfg.seed());
    }

    /**
     * A run validated by {@code validation} (null: the latest is also the best). For SAM 2 the
     * training samples are chunks of slices, tracked with memory ({@link SequenceRounds}).
     */
    public Trainer(Trainable trainable, TrainingData train, TrainConfig cfg, Path runDir, List<Device> devices,
            Diagnostics console, Validation validation) {
        this.trainable = trainable;
        this.model = trainable.model();
        this.sam = model instanceof Sam s ? s : null;
        this.sam2 = model instanceof Sam2Model s ? s : null;
        this.train = train;
        this.cfg = cfg.validate();
        this.run = new RunFolder(runDir);
        this.console = console;
        NDArray any = block().stateDictParameters().values().iterator().next().getArray();
        this.manager = any.getManager().newSubManager(any.getDevice());
        this.optimized = new LinkedHashMap<>(trainable.parameters());
        if (sam != null && train.depth() > 1 && !(model instanceof MedsaModel mm && mm.medsaConfig().hasDepthAdapters())) {
            throw new MedsaException("training on " + train.depth() + "-slice chunks needs a volumetric Med-SA model (SD-Trans)");
        }
        if (sam2 != null && train.depth() < 2) {
            throw new MedsaException("SAM 2 trains on chunks of at least 2 slices (a sequence to track through)");
        }
        if (sam2 != null && devices.size() > 1) {
            throw new MedsaException("SAM 2 trains on one device here; give one --device");
        }
        if (sam != null && SequenceRounds.SAM2_LOSS.equals(cfg.loss())) {
            throw new MedsaException("the sam2 loss needs SAM 2's object scores; train SAM with dice-bce, sam or bce-pos-weight");
        }
        if (optimized.isEmpty()) {
            throw new MedsaException("the model has no trainable parameters");
        }
        if (sam != null) {
            this.typeBefore = sam.imageEncoder().computeType();
            sam.imageEncoder().computeType(cfg.precision().dataType()); // restored by close(); validation runs it too
        } else {
            cfg.precision().forSam2();
            this.typeBefore = sam2.imageEncoder().computeType();
            sam2.computeType(cfg.precision().dataType());
        }
        this.scaler = new LossScaler(cfg.halfPrecision(), cfg.lossScale());
        for (int i = 1; i < devices.size(); i++) {
            replicas.add(new ReplicaStore(block().stateDictParameters(), devices.get(i), manager));
        }
        this.rounds = sam == null ? null : new PromptRounds(sam, Losses.byName(cfg.loss()), cfg.correctiveRounds());
        this.sequences = sam2 == null ? null : new SequenceRounds(sam2, cfg.loss(), cfg.correctiveRounds(),
                cfg.correctedSlices(), cfg.randomPromptSlice(), cfg.checkpointing());
        this.optimizer = new AdamW(optimized, cfg.beta1(), cfg.beta2(), cfg.eps(), cfg.weightDecay());
        long perStep = (long) cfg.batch() * cfg.accumulate();
        if (train.size() < cfg.batch()) {
            throw new MedsaException("the training set has " + train.size() + " samples, fewer than one batch of " + cfg.batch());
        }
        this.stepsPerEpoch = (int) Math.max(1, train.size() / perStep);
        this.totalSteps = cfg.steps() > 0 ? cfg.steps() : cfg.epochs() * stepsPerEpoch;
        this.schedule = LrSchedule.of(cfg.lr(), totalSteps, cfg.warmup());
        this.validator = validation;
    }

    /** The model as a block (SAM and SAM 2 both are). */
    private TorchBlock block() {
        return (TorchBlock) model;
    }

    /** Optimiser steps of the whole run. */
    public int totalSteps() {
        return totalSteps;
    }

    private boolean started;
    private int step;
    private double lastLoss = Double.NaN;
    private final DataType typeBefore;
    private double runningDice = Double.NaN;
    private ProgressLine progress;

    /** Trains from the start, or from {@code checkpoint_latest.pth} when {@code resume}, to the end. */
    public Result run(boolean resume) throws IOException {
        start(resume);
        return loop(totalSteps);
    }

    /**
     * Trains (starting a fresh run on the first call) until {@code stopAt} steps are done, and
     * writes the latest checkpoint there; later calls continue in the same process.
     */
    public Result runUntil(int stopAt) throws IOException {
        if (!started) {
            start(false);
        }
        Result r = loop(Math.min(stopAt, totalSteps));
        if (step < totalSteps) {
            saveLatest(step);
        }
        return r;
    }

    private void start(boolean resume) throws IOException {
        step = 0;
        if (resume) {
            step = restore();
            console.note(String.format(Locale.ROOT, "resuming at step %d of %d (best validation Dice %.4f at step %d)",
                    step, totalSteps, bestDice, bestStep));
        } else {
            run.begin(runDescription());
        }
        started = true;
        progress = new ProgressLine(console, "train", step, totalSteps, cfg.logEvery());
    }

    private Result loop(int stopAt) throws IOException {
        int[] order = null;
        int orderEpoch = -1;
        while (step < stopAt) {
            double lr = schedule.at(step);
            double stepLoss = 0;
            double stepDice = 0;
            for (int micro = 0; micro < cfg.accumulate(); micro++) {
                long sampleStart = ((long) step * cfg.accumulate() + micro) * cfg.batch();
                int epoch = (int) (sampleStart / ((long) stepsPerEpoch * cfg.batch() * cfg.accumulate()));
                if (epoch != orderEpoch) {
                    order = permutation((int) train.size(), cfg.seed(), epoch);
                    orderEpoch = epoch;
                    train.setEpoch(epoch);
                }
                int offset = (int) (sampleStart % ((long) stepsPerEpoch * cfg.batch() * cfg.accumulate()));
                long[] indices = new long[cfg.batch()];
                for (int i = 0; i < cfg.batch(); i++) {
                    indices[i] = order[offset + i];
                }
                double[] ld = microStep(indices, step, micro);
                stepLoss += ld[0] / cfg.accumulate();
                stepDice += ld[1] / cfg.accumulate();
            }
            if (!Double.isFinite(stepLoss)) {
                String bad = nonFiniteWeight();
                if (bad != null) {
                    throw new MedsaException("training stopped at step " + (step + 1) + ": the model's weights hold NaN or"
                            + " infinite values (" + bad + "); check the base checkpoint and the adapter weights");
                }
                throw new MedsaException(String.format(Locale.ROOT, "training stopped at step %d: the loss became %s"
                        + " (learning rate %.3g); the last good checkpoint is %s; try a lower --lr", step + 1, stepLoss, lr,
                        run.hasLatest() ? run.latest() : "none"));
            }
            for (ReplicaStore r : replicas) {
                r.addGradientsTo(optimized);
            }
            double unscale = 1 / scaler.scale(); // the loss was scaled up
            double scale = unscale;
            double norm = optimizer.gradientNorm() * unscale;
            boolean skipped = scaler.overflowed(norm);
            if (!skipped && !Double.isFinite(norm)) {
                List<String> bad = optimizer.nonFiniteGradients();
                throw new MedsaException("training stopped at step " + (step + 1) + ": the gradient became " + norm
                        + " in " + (bad.size() > 4 ? bad.subList(0, 4) + " and " + (bad.size() - 4) + " more" : bad)
                        + (cfg.halfPrecision() ? "; try a lower --lr or train without --half" : "; try a lower --lr"));
            }
            if (cfg.maxGradNorm() > 0 && !skipped) {
                scale = AdamW.clipScale(norm, cfg.maxGradNorm()) * unscale;
            }
            if (!skipped) {
                optimizer.step(lr, scale);
                scaler.applied();
            }
            optimizer.zeroGradients();
            for (ReplicaStore r : replicas) {
                r.refresh(optimized);
            }
            step++;
            lastLoss = stepLoss;
            runningDice = Double.isNaN(runningDice) ? stepDice : 0.9 * runningDice + 0.1 * stepDice;
            JsonObject log = new JsonObject();
            log.addProperty("step", step);
            log.addProperty("epoch", (step - 1) / stepsPerEpoch);
            log.addProperty("loss", stepLoss);
            log.addProperty("dice", stepDice);
            log.addProperty("lr", lr);
            if (skipped) {
                log.addProperty("skipped", "float16 overflow; loss scale now " + scaler.scale());
            } else {
                log.addProperty("grad_norm", norm);
            }
            run.log(log);
            progress.update(step, String.format(Locale.ROOT, "loss %.4f dice %.3f lr %.2e", stepLoss, runningDice, lr));

            boolean epochEnd = step % stepsPerEpoch == 0;
            boolean validate = validator != null && (cfg.validateEvery() > 0 ? step % cfg.validateEvery() == 0 : epochEnd);
            if (validate || (validator != null && step == totalSteps)) {
                double dice = validator.dice();
                JsonObject v = new JsonObject();
                v.addProperty("step", step);
                v.addProperty("val_dice", dice);
                run.log(v);
                if (dice > bestDice) {
                    bestDice = dice;
                    bestStep = step;
                    trainable.save(run.dir().resolve(trainable.bestFileName()), step, Map.of("val_dice", dice));
                }
                console.note(String.format(Locale.ROOT, "step %d: validation Dice %.4f (best %.4f at step %d)", step, dice,
                        bestDice,
                        bestStep));
            }
            if (step % cfg.checkpointEvery() == 0 || step == totalSteps) {
                saveLatest(step);
            }
        }
        if (step == totalSteps && validator == null) {
            trainable.save(run.dir().resolve(trainable.bestFileName()), step, Map.of());
            bestStep = step;
        }
        return new Result(step, lastLoss, bestDice, bestStep, run.latest(), run.dir().resolve(trainable.bestFileName()));
    }

    /** One micro-batch: forward over the replicas, backward; returns {loss, dice}. */
    private double[] microStep(long[] indices, int step, int micro) {
        int depth = train.depth();
        // Seeds depend on the step and the sample, not on how the step is split into micro-batches:
        // batch 4 equals 2 micro-batches of 2 (the first prompt kind is chosen per step).
        long stepSeed = Seeds.step(cfg.seed(), step);
        Seeds.seedEngine(stepSeed);
        SplittableRandom rng = new SplittableRandom(stepSeed);
        boolean useBox = rng.nextDouble() < cfg.boxProbability();
        List<Sample> samples = new ArrayList<>();
        for (long i : indices) {
            samples.add(train.sample(i));
        }
        for (int i = 0; i < samples.size(); i++) {
            requireFinite(samples.get(i), indices[i]);
        }
        if (sam2 != null) {
            return sequenceStep(samples, indices, stepSeed, useBox);
        }
        try (NDManager scope = manager.newSubManager()) {
            int shards = replicas.size() + 1;
            int perShard = (int) Math.ceil((double) indices.length / shards);
            double lossSum = 0;
            double diceSum = 0;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                for (int r = 0; r < shards; r++) {
                    int from = r * perShard;
                    int to = Math.min(indices.length, from + perShard);
                    if (from >= to) {
                        break;
                    }
                    ReplicaStore store = r == 0 ? null : replicas.get(r - 1);
                    Device dev = store == null ? manager.getDevice() : store.device();
                    NDManager shard = scope.newSubManager(dev);
                    SamBatch batch = SamBatch.prepare(sam, samples.subList(from, to), shard);
                    double weight = (double) (to - from) / indices.length / cfg.accumulate();
                    long[] seeds = new long[to - from];
                    for (int i = from; i < to; i++) {
                        seeds[i - from] = Seeds.mix(stepSeed, indices[i]);
                    }
                    double[] ld = forwardBackward(gc, store, batch, depth, useBox, weight, seeds);
                    lossSum += ld[0] * (to - from) / indices.length;
                    diceSum += ld[1] * (to - from) / indices.length;
                }
            }
            return new double[] {lossSum, diceSum};
        }
    }

    /** SAM 2: the chunks tracked with memory ({@link SequenceRounds}), forward and backward; returns {loss, dice}. */
    private double[] sequenceStep(List<Sample> samples, long[] indices, long stepSeed, boolean useBox) {
        long[] seeds = new long[samples.size()];
        for (int i = 0; i < seeds.length; i++) {
            seeds[i] = Seeds.mix(stepSeed, indices[i]);
        }
        try (NDManager scope = manager.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            SequenceRounds.Outcome out = sequences.run(samples, seeds, useBox, scope, true);
            double value = out.loss().getFloat();
            gc.backward(Ops.mul(out.loss(), scaler.scale() / cfg.accumulate()));
            out.backwardCheckpoints();
            return new double[] {value, out.dice()};
        }
    }

    /**
     * @param seeds one seed per sample (D slices share it): prompts are sampled sample by sample
     *     from them, so results do not depend on how a batch is split over devices
     */
    private double[] forwardBackward(GradientCollector gc, ParameterStore ps, SamBatch b, int depth,
            boolean useBox, double weight, long[] seeds) {
        ActivationCheckpoints checkpoints = cfg.checkpointing() ? new ActivationCheckpoints() : null;
        NDArray emb;
        if (checkpoints != null) {
            PairList<String, Object> params = new PairList<>();
            if (depth > 1) {
                params.add(AdaptedEncoderBlock.DEPTH, depth);
            }
            params.add(ActivationCheckpoints.KEY, checkpoints);
            emb = sam.encodeImage(ps, b.images(), true, params, null);
        } else {
            emb = depth > 1 ? ((MedsaModel) sam).encodeVolume(ps, b.images(), depth, true, null)
                    : sam.encodeImage(ps, b.images(), true);
        }
        PromptRounds.Outcome out = rounds.run(ps, emb, b, depth, useBox, seeds);
        double value = out.loss().getFloat();
        gc.backward(Ops.mul(out.loss(), weight * scaler.scale()));
        if (checkpoints != null) {
            checkpoints.backward();
        }
        NDArray last = out.lastLogits().stopGradient();
        double dice = Losses.diceLoss(last, b.lowResTargets().gt(0.5).toType(last.getDataType(), false)).neg().add(1).mean()
                .getFloat();
        return new double[] {value, dice};
    }

    /** A NaN or infinite value would poison the whole step: name the sample instead. */
    private static void requireFinite(Sample s, long index) {
        float[] image = s.image();
        for (int p = 0; p < image.length; p++) {
            if (!Float.isFinite(image[p])) {
                throw new MedsaException("training sample " + index + " is unusable: image value " + p + " is " + image[p]
                        + ": NaN or infinite intensities cannot be segmented");
            }
        }
        for (float t : s.target()) {
            if (!Float.isFinite(t)) {
                throw new MedsaException("training sample " + index + " is unusable: its target holds " + t);
            }
        }
    }

    /** The first parameter of the model holding a NaN or infinite value, or null. */
    private String nonFiniteWeight() {
        for (Map.Entry<String, Parameter> e : block().stateDictParameters().entrySet()) {
            if (!Ops.isFinite(e.getValue().getArray())) {
                return e.getKey();
            }
        }
        return null;
    }

    /** A permutation of 0..n−1 fixed by (seed, epoch). */
    static int[] permutation(int n, long seed, int epoch) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        SplittableRandom r = new SplittableRandom(Seeds.epochOrder(seed, epoch));
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    // ---- checkpoints ----

    private JsonObject runDescription() {
        JsonObject o = trainable.describe();
        o.add("model_config", sam != null ? sam.config().toJson() : sam2.config().toJson());
        o.add("train_config", cfg.toJson());
        o.addProperty("training_samples", train.size());
        o.addProperty("slices_per_sample", train.depth());
        o.addProperty("steps", totalSteps);
        o.addProperty("devices", replicas.size() + 1);
        return o;
    }

    private void saveLatest(int step) throws IOException {
        trainable.save(run.latest(), step, RunFolder.latestExtras(step, bestDice, bestStep, optimizer.state(), runDescription()));
    }

    private int restore() throws IOException {
        if (!run.hasLatest()) {
            throw new MedsaException(run.latest() + ": no checkpoint to resume from");
        }
        trainable.load(run.latest(), manager);
        RunFolder.TrainerState state = run.resume(runDescription());
        optimizer.load(state.optimizerStep(), state.firstMoments(), state.secondMoments());
        bestDice = state.bestDice();
        bestStep = state.bestStep();
        for (ReplicaStore r : replicas) {
            r.refresh(optimized);
        }
        return state.step();
    }

    @Override
    public void close() {
        if (sam != null) {
            sam.imageEncoder().computeType(typeBefore);
        } else {
            sam2.computeType(typeBefore);
        }
        for (ReplicaStore r : replicas) {
            r.close();
        }
        optimizer.close();
        manager.close();
    }

    /** Exposed for tests: the parameters the optimiser updates. */
    public Map<String, Parameter> optimizedParameters() {
        return optimized;
    }

    /** Copies trainable values (helper for tests comparing runs). */
    public static Map<String, float[]> snapshot(Map<String, Parameter> params) {
        Map<String, float[]> out = new LinkedHashMap<>();
        params.forEach((k, p) -> out.put(k, p.getArray().toFloatArray()));
        return out;
    }
}
