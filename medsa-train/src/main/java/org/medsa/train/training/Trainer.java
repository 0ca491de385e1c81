package org.medsa.train.training;

import org.medsa.core.Seeds;
import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.util.PairList;
import org.medsa.adapters.AdaptedEncoderBlock;
import org.medsa.core.nn.ActivationCheckpoints;
import ai.djl.training.ParameterStore;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.medsa.adapters.MedsaModel;
import org.medsa.core.MedsaException;
import org.medsa.core.io.pth.TensorData;
import org.medsa.core.io.pth.TorchCheckpoint;
import org.medsa.core.io.pth.TorchTensor;
import org.medsa.core.modeling.PromptEncoder;
import org.medsa.core.modeling.Sam;
import org.medsa.core.nn.Ops;
import org.medsa.train.losses.Losses;
import org.medsa.train.losses.SegmentationLoss;
import org.medsa.train.prompts.PromptBatch;
import org.medsa.train.prompts.PromptSampler;
import org.medsa.data.transforms.Sample;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Fine-tunes the trainable parameters of a {@link MedsaModel} (its preset decides which) with
 * AdamW, warm-up + cosine decay, gradient accumulation and, when several devices are given,
 * data parallelism. Every step is seeded from (seed, step), so a run resumed from its latest
 * checkpoint ends with the same weights as an uninterrupted one.
 *
 * <p>Per step: the first prompt is a jittered box or one positive click (multimask, loss on the
 * best of the three masks), then {@code correctiveRounds} corrective clicks sampled from the
 * error of the previous prediction, each round feeding the previous low-res logits back as the
 * mask prompt; the loss is the mean over rounds. The image is encoded once per step.
 *
 * <p>Run folder: {@code config.json}, {@code metrics.jsonl} (one JSON object per logged step and
 * per validation), {@code checkpoint_latest.pth} (adapters + optimiser + trainer state, loadable
 * as adapter weights) and {@code adapters_best.pth} or {@code sam_best.pth} (the highest validation
 * Dice so far), all
 * written atomically.
 */
public final class Trainer implements AutoCloseable {

    /** File name of the latest checkpoint in the run folder. */
    public static final String LATEST = "checkpoint_latest.pth";
    /** File name of the metrics log in the run folder (one JSON object per line). */
    public static final String METRICS = "metrics.jsonl";

    /** The outcome of a run. */
    public record Result(int steps, double lastLoss, double bestDice, int bestStep, Path latest, Path best) {}

    private final Trainable trainable;
    private final Sam model;
    private final TrainingData train;
    private final Validator validator;
    private final TrainConfig cfg;
    private final Path runDir;
    private final PrintStream console;
    private final NDManager manager;
    private final Map<String, Parameter> optimized;
    private final List<ReplicaStore> replicas = new ArrayList<>();
    private final SegmentationLoss loss;
    private final AdamW optimizer;
    private final int stepsPerEpoch;
    private final int totalSteps;
    private final LrSchedule schedule;
    private double bestDice = Double.NEGATIVE_INFINITY;
    private int bestStep = -1;

    /**
     * @param validation validation data for keep-best (null: the latest is also the best)
     * @param devices the devices to split each batch over; the model's own device comes first
     */
    public Trainer(Trainable trainable, TrainingData train, TrainingData validation, TrainConfig cfg, Path runDir,
            List<Device> devices, PrintStream console) {
        this.trainable = trainable;
        this.model = trainable.model();
        this.train = train;
        this.cfg = cfg.validate();
        this.runDir = runDir;
        this.console = console;
        NDArray any = model.stateDictParameters().values().iterator().next().getArray();
        this.manager = any.getManager().newSubManager(any.getDevice());
        this.optimized = new LinkedHashMap<>(trainable.parameters());
        if (train.depth() > 1 && !(model instanceof MedsaModel mm && mm.medsaConfig().hasDepthAdapters())) {
            throw new MedsaException("training on " + train.depth() + "-slice chunks needs a volumetric Med-SA model (SD-Trans)");
        }
        if (optimized.isEmpty()) {
            throw new MedsaException("the model has no trainable parameters");
        }
        this.halfBefore = model.imageEncoder().halfPrecision();
        model.imageEncoder().halfPrecision(cfg.halfPrecision); // restored by close(); validation runs it too
        this.lossScale = cfg.lossScale;
        for (int i = 1; i < devices.size(); i++) {
            replicas.add(new ReplicaStore(model.stateDictParameters(), devices.get(i), manager));
        }
        this.loss = Losses.byName(cfg.loss);
        this.optimizer = new AdamW(optimized, cfg.beta1, cfg.beta2, cfg.eps, cfg.weightDecay);
        long perStep = (long) cfg.batch * cfg.accumulate;
        if (train.size() < cfg.batch) {
            throw new MedsaException("the training set has " + train.size() + " samples, fewer than one batch of " + cfg.batch);
        }
        this.stepsPerEpoch = (int) Math.max(1, train.size() / perStep);
        this.totalSteps = cfg.steps > 0 ? cfg.steps : cfg.epochs * stepsPerEpoch;
        this.schedule = LrSchedule.of(cfg.lr, totalSteps, cfg.warmup);
        this.validator = validation == null ? null : new Validator(model, validation, cfg.validationSamples, cfg.seed);
    }

    /**
     * Checks a run folder before anything is loaded: not a file; for a new run, no earlier run in
     * it; for a resumed run, a latest checkpoint to resume from.
     *
     * @throws MedsaException saying which
     */
    public static void checkRunFolder(Path runDir, boolean resume) {
        if (Files.exists(runDir) && !Files.isDirectory(runDir)) {
            throw new MedsaException(runDir + ": is a file; the run folder must be a folder");
        }
        boolean started = Files.exists(runDir.resolve(LATEST));
        if (!resume && started) {
            throw new MedsaException(runDir + " already holds a training run; use --resume to continue it, or another --out");
        }
        if (resume && !started) {
            throw new MedsaException(runDir.resolve(LATEST) + ": no checkpoint to resume from");
        }
    }

    /** Optimiser steps of the whole run. */
    public int totalSteps() {
        return totalSteps;
    }

    private boolean started;
    private int step;
    private double lastLoss = Double.NaN;
    /** With half precision: the current loss scale (halved on an overflow, doubled after {@link #SCALE_GROWTH_STEPS} good steps). */
    private double lossScale;
    private int stepsSinceOverflow;
    private final boolean halfBefore;
    /** Good steps after which a half-precision loss scale is doubled again. */
    static final int SCALE_GROWTH_STEPS = 1000;
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
        Files.createDirectories(runDir);
        step = 0;
        if (resume) {
            step = restore();
            console.printf(Locale.ROOT, "resuming at step %d of %d (best validation Dice %.4f at step %d)%n",
                    step, totalSteps, bestDice, bestStep);
        } else {
            if (Files.exists(runDir.resolve(LATEST))) {
                throw new MedsaException(runDir + " already holds a training run; use --resume to continue it, or another --out");
            }
            writeAtomically(runDir.resolve("config.json"), runDescription().toString());
            Files.deleteIfExists(runDir.resolve(METRICS));
        }
        started = true;
        progress = new ProgressLine(console, "train", step, totalSteps, cfg.logEvery);
    }

    private Result loop(int stopAt) throws IOException {
        int[] order = null;
        int orderEpoch = -1;
        while (step < stopAt) {
            double lr = schedule.at(step);
            double stepLoss = 0;
            double stepDice = 0;
            for (int micro = 0; micro < cfg.accumulate; micro++) {
                long sampleStart = ((long) step * cfg.accumulate + micro) * cfg.batch;
                int epoch = (int) (sampleStart / ((long) stepsPerEpoch * cfg.batch * cfg.accumulate));
                if (epoch != orderEpoch) {
                    order = permutation((int) train.size(), cfg.seed, epoch);
                    orderEpoch = epoch;
                    train.setEpoch(epoch);
                }
                int offset = (int) (sampleStart % ((long) stepsPerEpoch * cfg.batch * cfg.accumulate));
                long[] indices = new long[cfg.batch];
                for (int i = 0; i < cfg.batch; i++) {
                    indices[i] = order[offset + i];
                }
                double[] ld = microStep(indices, step, micro);
                stepLoss += ld[0] / cfg.accumulate;
                stepDice += ld[1] / cfg.accumulate;
            }
            if (!Double.isFinite(stepLoss)) {
                String bad = nonFiniteWeight();
                if (bad != null) {
                    throw new MedsaException("training stopped at step " + (step + 1) + ": the model's weights hold NaN or"
                            + " infinite values (" + bad + "); check the base checkpoint and the adapter weights");
                }
                throw new MedsaException(String.format(Locale.ROOT, "training stopped at step %d: the loss became %s"
                        + " (learning rate %.3g); the last good checkpoint is %s; try a lower --lr", step + 1, stepLoss, lr,
                        Files.exists(runDir.resolve(LATEST)) ? runDir.resolve(LATEST) : "none"));
            }
            for (ReplicaStore r : replicas) {
                r.addGradientsTo(optimized);
            }
            double unscale = cfg.halfPrecision ? 1 / lossScale : 1.0; // the loss was scaled up
            double scale = unscale;
            double norm = optimizer.gradientNorm() * unscale;
            boolean skipped = false;
            if (!Double.isFinite(norm) && cfg.halfPrecision && lossScale > 1) {
                // a float16 overflow under the loss scale: no update this step, a smaller scale from now on
                skipped = true;
                lossScale /= 2;
                stepsSinceOverflow = 0;
            } else if (!Double.isFinite(norm)) {
                List<String> bad = optimizer.nonFiniteGradients();
                throw new MedsaException("training stopped at step " + (step + 1) + ": the gradient became " + norm
                        + " in " + (bad.size() > 4 ? bad.subList(0, 4) + " and " + (bad.size() - 4) + " more" : bad)
                        + (cfg.halfPrecision ? "; try a lower --lr or train without --half" : "; try a lower --lr"));
            }
            if (cfg.maxGradNorm > 0 && !skipped) {
                scale = AdamW.clipScale(norm, cfg.maxGradNorm) * unscale;
            }
            if (!skipped) {
                optimizer.step(lr, scale);
                if (cfg.halfPrecision && ++stepsSinceOverflow >= SCALE_GROWTH_STEPS) {
                    lossScale *= 2;
                    stepsSinceOverflow = 0;
                }
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
                log.addProperty("skipped", "float16 overflow; loss scale now " + lossScale);
            } else {
                log.addProperty("grad_norm", norm);
            }
            appendMetrics(log);
            progress.update(step, String.format(Locale.ROOT, "loss %.4f dice %.3f lr %.2e", stepLoss, runningDice, lr));

            boolean epochEnd = step % stepsPerEpoch == 0;
            boolean validate = validator != null && (cfg.validateEvery > 0 ? step % cfg.validateEvery == 0 : epochEnd);
            if (validate || (validator != null && step == totalSteps)) {
                double dice = validator.dice();
                JsonObject v = new JsonObject();
                v.addProperty("step", step);
                v.addProperty("val_dice", dice);
                appendMetrics(v);
                if (dice > bestDice) {
                    bestDice = dice;
                    bestStep = step;
                    trainable.save(runDir.resolve(trainable.bestFileName()), step, Map.of("val_dice", dice));
                }
                console.printf(Locale.ROOT, "%nstep %d: validation Dice %.4f (best %.4f at step %d)%n", step, dice, bestDice, bestStep);
            }
            if (step % cfg.checkpointEvery == 0 || step == totalSteps) {
                saveLatest(step);
            }
        }
        if (step == totalSteps && validator == null) {
            trainable.save(runDir.resolve(trainable.bestFileName()), step, Map.of());
            bestStep = step;
        }
        return new Result(step, lastLoss, bestDice, bestStep, runDir.resolve(LATEST), runDir.resolve(trainable.bestFileName()));
    }

    /** One micro-batch: forward over the replicas, backward; returns {loss, dice}. */
    private double[] microStep(long[] indices, int step, int micro) {
        int depth = train.depth();
        // Seeds depend on the step and the sample, not on how the step is split into micro-batches:
        // batch 4 equals 2 micro-batches of 2 (the first prompt kind is chosen per step).
        long stepSeed = cfg.seed * 1_000_003L + (long) step * 1_009;
        Seeds.seedEngine(stepSeed);
        SplittableRandom rng = new SplittableRandom(stepSeed);
        boolean useBox = rng.nextDouble() < cfg.boxProbability;
        List<Sample> samples = new ArrayList<>();
        for (long i : indices) {
            samples.add(train.sample(i));
        }
        for (int i = 0; i < samples.size(); i++) {
            requireFinite(samples.get(i), indices[i]);
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
                    SamBatch batch = SamBatch.prepare(model, samples.subList(from, to), shard);
                    double weight = (double) (to - from) / indices.length / cfg.accumulate;
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

    /**
     * @param seeds one seed per sample (D slices share it): prompts are sampled sample by sample
     *     from them, so results do not depend on how a batch is split over devices
     */
    private double[] forwardBackward(GradientCollector gc, ParameterStore ps, SamBatch b, int depth,
            boolean useBox, double weight, long[] seeds) {
        ActivationCheckpoints checkpoints = cfg.checkpointing ? new ActivationCheckpoints() : null;
        NDArray emb;
        if (checkpoints != null) {
            PairList<String, Object> params = new PairList<>();
            if (depth > 1) {
                params.add(AdaptedEncoderBlock.DEPTH, depth);
            }
            params.add(ActivationCheckpoints.KEY, checkpoints);
            emb = model.encodeImage(ps, b.images(), true, params, null);
        } else {
            emb = depth > 1 ? ((MedsaModel) model).encodeVolume(ps, b.images(), depth, true, null) : model.encodeImage(ps, b.images(), true);
        }
        PromptBatch prompts = perSample(b.masks(), seeds, depth, 0, m -> useBox
                ? new PromptBatch(null, null, PromptSampler.jitteredBoxes(m, 0.1, 20))
                : PromptSampler.randomPositiveClicks(m, 1));
        boolean multimask = !useBox;
        Sam.Prediction p = decode(ps, emb, prompts, null, multimask);
        NDArray total = loss.loss(p.lowResLogits(), b.lowResTargets(), p.iouPredictions());
        NDArray prev = bestMask(p, b.lowResTargets());
        for (int r = 0; r < cfg.correctiveRounds; r++) {
            NDArray prevFull = model.geometry().masksToInput(prev).squeeze(1).stopGradient();
            int round = r + 1;
            prompts = prompts.append(perSample(b.masks(), seeds, depth, round, prevFull,
                    (m, logits) -> PromptSampler.correctiveClicks(m, logits, false)));
            p = decode(ps, emb, prompts, prev.stopGradient(), false);
            total = total.add(loss.loss(p.lowResLogits(), b.lowResTargets(), p.iouPredictions()));
            prev = p.lowResLogits().get(":, 0:1");
        }
        NDArray scaled = Ops.div(total, cfg.correctiveRounds + 1);
        double value = scaled.getFloat();
        gc.backward(Ops.mul(scaled, cfg.halfPrecision ? weight * lossScale : weight));
        if (checkpoints != null) {
            checkpoints.backward();
        }
        double dice = Losses.diceLoss(prev.stopGradient(), b.lowResTargets().gt(0.5).toType(prev.getDataType(), false))
                .neg().add(1).mean().getFloat();
        return new double[] {value, dice};
    }

    /** Samples prompts for each sample (its D slices together) from its own seed, then concatenates. */
    private static PromptBatch perSample(NDArray masks, long[] seeds, int depth, int round,
            java.util.function.Function<NDArray, PromptBatch> sampler) {
        return perSample(masks, seeds, depth, round, masks, (m, ignored) -> sampler.apply(m));
    }

    private static PromptBatch perSample(NDArray masks, long[] seeds, int depth, int round, NDArray extra,
            java.util.function.BiFunction<NDArray, NDArray, PromptBatch> sampler) {
        List<PromptBatch> parts = new ArrayList<>();
        for (int i = 0; i < seeds.length; i++) {
            Seeds.seedEngine(Seeds.mix(seeds[i], round));
            String range = (i * depth) + ":" + ((i + 1) * depth);
            parts.add(sampler.apply(masks.get(range), extra.get(range)));
        }
        if (parts.size() == 1) {
            return parts.get(0);
        }
        NDArray points = parts.get(0).points() == null ? null : NDArrays.concat(new NDList(parts.stream().map(PromptBatch::points).toList()), 0);
        NDArray labels = parts.get(0).labels() == null ? null : NDArrays.concat(new NDList(parts.stream().map(PromptBatch::labels).toList()), 0);
        NDArray boxes = parts.get(0).boxes() == null ? null : NDArrays.concat(new NDList(parts.stream().map(PromptBatch::boxes).toList()), 0);
        return new PromptBatch(points, labels, boxes);
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
        for (Map.Entry<String, Parameter> e : model.stateDictParameters().entrySet()) {
            if (!Ops.isFinite(e.getValue().getArray())) {
                return e.getKey();
            }
        }
        return null;
    }

    /** Decodes with the prompt encoder run without gradients (it is frozen in both recipes). */
    private Sam.Prediction decode(ParameterStore ps, NDArray emb, PromptBatch prompts, NDArray maskInput, boolean multimask) {
        NDManager m = emb.getManager();
        PromptEncoder.Embeddings pe = Ops.noGrad(() -> model.encodePrompts(ps, m, prompts.points(), prompts.labels(),
                prompts.boxes(), maskInput, true));
        NDArray valid = Sam.validTokens(pe.sparse(), prompts.labels(), prompts.boxes() != null);
        return model.decode(ps, emb, pe, valid, multimask, true);
    }

    /** Per sample, the mask with the lowest loss (for the next round's mask prompt): (B, 1, L, L). */
    private NDArray bestMask(Sam.Prediction p, NDArray target) {
        NDArray logits = p.lowResLogits();
        if (logits.getShape().get(1) == 1) {
            return logits;
        }
        NDArray per = loss.perMask(logits, target, p.iouPredictions()).stopGradient(); // (B, C)
        NDArray pick = per.argMin(1); // (B)
        NDArray oneHot = pick.oneHot((int) logits.getShape().get(1)).toType(logits.getDataType(), false); // (B, C)
        return logits.mul(oneHot.expandDims(-1).expandDims(-1)).sum(new int[] {1}, true);
    }

    /** A permutation of 0..n−1 fixed by (seed, epoch). */
    static int[] permutation(int n, long seed, int epoch) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        SplittableRandom r = new SplittableRandom(seed * 31 + epoch * 1_000_033L + 7);
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
        o.add("model_config", model.config().toJson());
        o.add("train_config", cfg.toJson());
        o.addProperty("training_samples", train.size());
        o.addProperty("slices_per_sample", train.depth());
        o.addProperty("steps", totalSteps);
        o.addProperty("devices", replicas.size() + 1);
        return o;
    }

    /**
     * A saved run description with the training settings that the saving version did not have yet
     * at their defaults (a run started before, say, {@code halfPrecision} existed resumes as it was).
     */
    static JsonObject withDefaults(JsonObject run) {
        JsonObject o = run.deepCopy();
        if (o.has("train_config") && o.get("train_config").isJsonObject()) {
            JsonObject saved = o.getAsJsonObject("train_config");
            JsonObject filled = TrainConfig.fromJson(saved).toJson();
            // a setting this version no longer has stays in, so the run does not match
            saved.entrySet().forEach(e -> {
                if (!filled.has(e.getKey())) {
                    filled.add(e.getKey(), e.getValue());
                }
            });
            o.add("train_config", filled);
        }
        return o;
    }

    private void saveLatest(int step) throws IOException {
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("optimizer", optimizer.state());
        Map<String, Object> trainer = new LinkedHashMap<>();
        trainer.put("step", (long) step);
        trainer.put("best_dice", bestDice);
        trainer.put("best_step", (long) bestStep);
        trainer.put("run", runDescription().toString());
        extra.put("trainer", trainer);
        trainable.save(runDir.resolve(LATEST), step, extra);
    }

    @SuppressWarnings("unchecked")
    private int restore() throws IOException {
        Path latest = runDir.resolve(LATEST);
        if (!Files.exists(latest)) {
            throw new MedsaException(latest + ": no checkpoint to resume from");
        }
        trainable.load(latest, manager);
        try (TorchCheckpoint c = TorchCheckpoint.open(latest)) {
            Map<Object, Object> root = (Map<Object, Object>) c.root();
            Map<Object, Object> trainer = (Map<Object, Object>) root.get("trainer");
            Map<Object, Object> opt = (Map<Object, Object>) root.get("optimizer");
            if (trainer == null || opt == null) {
                throw new MedsaException(latest + ": not a training checkpoint (no trainer/optimizer state)");
            }
            JsonObject saved = withDefaults(JsonParser.parseString((String) trainer.get("run")).getAsJsonObject());
            JsonObject now = runDescription();
            if (!saved.equals(now)) {
                throw new MedsaException(latest + ": the run was started with other settings; resume with the same"
                        + " model, data and hyperparameters (saved: " + differences(saved, now) + ")");
            }
            Map<String, TensorData> m = new LinkedHashMap<>();
            Map<String, TensorData> v = new LinkedHashMap<>();
            ((Map<Object, Object>) opt.get("exp_avg")).forEach((k, t) -> m.put((String) k, c.read((TorchTensor) t)));
            ((Map<Object, Object>) opt.get("exp_avg_sq")).forEach((k, t) -> v.put((String) k, c.read((TorchTensor) t)));
            optimizer.load(((Number) opt.get("step")).longValue(), m, v);
            bestDice = ((Number) trainer.get("best_dice")).doubleValue();
            bestStep = ((Number) trainer.get("best_step")).intValue();
            int step = ((Number) trainer.get("step")).intValue();
            truncateMetrics(step);
            for (ReplicaStore r : replicas) {
                r.refresh(optimized);
            }
            return step;
        }
    }

    private static String differences(JsonObject a, JsonObject b) {
        List<String> d = new ArrayList<>();
        for (String k : a.keySet()) {
            if (!a.get(k).equals(b.get(k))) {
                d.add(k + "=" + a.get(k) + " now " + b.get(k));
            }
        }
        String s = String.join(", ", d);
        return s.length() > 400 ? s.substring(0, 400) + "…" : s;
    }

    private void truncateMetrics(int step) throws IOException {
        Path f = runDir.resolve(METRICS);
        if (!Files.exists(f)) {
            return;
        }
        List<String> kept = new ArrayList<>();
        for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
            try {
                if (JsonParser.parseString(line).getAsJsonObject().get("step").getAsInt() <= step) {
                    kept.add(line);
                }
            } catch (RuntimeException e) {
                // a line cut by a crash: drop it
            }
        }
        writeAtomically(f, kept.isEmpty() ? "" : String.join("\n", kept) + "\n");
    }

    private void appendMetrics(JsonObject o) throws IOException {
        Files.writeString(runDir.resolve(METRICS), o + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    static void writeAtomically(Path file, String content) {
        org.medsa.core.io.AtomicFiles.writeString(file, content);
    }

    @Override
    public void close() {
        model.imageEncoder().halfPrecision(halfBefore);
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
