package org.medsa.train.sam2;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.medsa.core.Diagnostics;
import org.medsa.core.MedsaException;
import org.medsa.core.ProgressLine;
import org.medsa.core.Seeds;
import org.medsa.core.io.AtomicFiles;
import org.medsa.core.io.pth.TensorData;
import org.medsa.core.io.pth.TorchCheckpointWriter;
import org.medsa.core.io.pth.TorchDType;
import org.medsa.core.modeling.sam2.Sam2Config;
import org.medsa.core.modeling.sam2.Sam2Model;
import org.medsa.core.nn.Ops;
import org.medsa.train.training.AdamW;
import org.medsa.train.training.LrSchedule;

/**
 * Trains every weight of a SAM 2 on clips of consecutive slices (docs/sam2.md, "Training"): the
 * first slice of each clip is prompted (a click or a box of the organ's mask) and segmented
 * without memory; every later slice is tracked with the memories and object pointers of the
 * earlier ones, as SAM 2's own training does; SAM 2's loss ({@link Sam2Loss}) on every slice,
 * gradients through the whole clip. How the demo's SAM 2 was made (docs/demo.md). Writes {@code
 * sam2_best.pt} ({@code {"model": state_dict}}, the official layout) and {@code config.json}.
 *
 * <pre>{@code
 * Sam2Training.Result r = new Sam2Training(config, null, Sam2Training.Recipe.defaults(), Path.of("runs/sam2"))
 *         .run(trainClips, validationClips);
 * }</pre>
 */
public final class Sam2Training {

    /**
     * The training settings.
     *
     * @param steps optimiser steps
     * @param clips clips per step
     * @param lr peak learning rate (linear warm-up over {@code warmup} of the steps, then cosine)
     * @param warmup fraction of the steps warming up
     * @param weightDecay AdamW's decoupled weight decay
     * @param maxGradNorm gradients are scaled down to at most this L2 norm (0: off)
     * @param seed of the initial weights, the clips and their prompts
     * @param validateEvery steps between validations (and the last step)
     * @param validationClips clips of the validation set, fixed by the seed
     */
    public record Recipe(int steps, int clips, double lr, double warmup, double weightDecay, double maxGradNorm, long seed,
            int validateEvery, int validationClips) {

        /** Checks the values. */
        public Recipe {
            if (steps < 1 || clips < 1 || validateEvery < 1 || validationClips < 1) {
                throw new MedsaException("steps, clips per step, the validation interval and validation clips must be at least "
                        + "1");
            }
            if (!(lr > 0) || !(warmup >= 0 && warmup < 1) || weightDecay < 0 || maxGradNorm < 0) {
                throw new MedsaException("the learning rate must be positive, the warm-up within 0..1, decay and clipping >= 0");
            }
        }

        /** 2000 steps of 8 clips, learning rate 3e-4 with 5 % warm-up, weight decay 0.01, clipping at 1, seed 7. */
        public static Recipe defaults() {
            return new Recipe(2000, 8, 3e-4, 0.05, 0.01, 1.0, 7, 100, 48);
        }
    }

    /** What a run did: steps, the best validation Dice and its step, the best weights. */
    public record Result(int steps, double bestDice, int bestStep, Path best) {}

    private final Sam2Config config;
    private final Path init;
    private final Recipe recipe;
    private final Path runDir;
    private Diagnostics console = Diagnostics.stderr();

    /** @param init the starting weights, or null for random initialisation seeded by the recipe's seed */
    public Sam2Training(Sam2Config config, Path init, Recipe recipe, Path runDir) {
        this.config = config;
        this.init = init;
        this.recipe = recipe;
        this.runDir = runDir;
    }

    /** Where progress goes (default standard error). */
    public Sam2Training console(Diagnostics c) {
        this.console = c;
        return this;
    }

    /**
     * Trains on clips of {@code train}, validating on fixed clips of {@code validation} (tracking
     * Dice per slice, the evaluation path: click masks binarised for the memory, single masks
     * chosen by stability).
     */
    public Result run(SliceClips train, SliceClips validation) throws IOException {
        Files.createDirectories(runDir);
        AtomicFiles.writeString(runDir.resolve("config.json"), config.toJson().toString());
        try (NDManager manager = NDManager.newBaseManager()) {
            Seeds.seedEngineForRun(recipe.seed());
            Sam2Model model;
            if (init == null) {
                model = new Sam2Model(config);
                model.initialize(manager, DataType.FLOAT32);
            } else {
                model = Sam2Model.load(config, init, manager);
            }
            Map<String, Parameter> trained = new LinkedHashMap<>();
            model.stateDictParameters().forEach((k, p) -> {
                if (p.requiresGradient()) {
                    trained.put(k, p);
                }
            });
            AdamW adam = new AdamW(trained, 0.9, 0.999, 1e-8, recipe.weightDecay());
            LrSchedule lr = LrSchedule.of(recipe.lr(), recipe.steps(), recipe.warmup());
            List<SliceClips.Clip> validationSet = new ArrayList<>();
            SplittableRandom vr = new SplittableRandom(Seeds.validation(recipe.seed()));
            for (int i = 0; i < recipe.validationClips(); i++) {
                validationSet.add(validation.sample(vr, i % 2 == 0));
            }
            double bestDice = -1;
            int bestStep = -1;
            Path best = runDir.resolve("sam2_best.pt");
            Path log = runDir.resolve("metrics.jsonl");
            Files.deleteIfExists(log);
            ProgressLine progress = new ProgressLine(console, "sam2 training", 0, recipe.steps(), 20);
            double lossSum = 0;
            int lossCount = 0;
            for (int step = 0; step < recipe.steps(); step++) {
                SplittableRandom r = new SplittableRandom(Seeds.step(recipe.seed(), step));
                boolean click = r.nextBoolean();
                List<SliceClips.Clip> batch = new ArrayList<>();
                for (int c = 0; c < recipe.clips(); c++) {
                    batch.add(train.sample(r, click));
                }
                double loss;
                try (NDManager s = manager.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray l = clipLoss(model, s, batch, train.frames(), true);
                    loss = l.getFloat();
                    gc.backward(l);
                }
                if (!Double.isFinite(loss) || !adam.nonFiniteGradients().isEmpty()) {
                    throw new MedsaException("training diverged at step " + step + " (loss " + loss + ")");
                }
                double scale = recipe.maxGradNorm() > 0 ? AdamW.clipScale(adam.gradientNorm(), recipe.maxGradNorm()) : 1.0;
                adam.step(lr.at(step), scale);
                adam.zeroGradients();
                lossSum += loss;
                lossCount++;
                boolean validate = (step + 1) % recipe.validateEvery() == 0 || step + 1 == recipe.steps();
                String extra = String.format(Locale.ROOT, "loss %.4f", lossSum / lossCount);
                if (validate) {
                    double dice = validate(model, manager, validationSet, validation.frames());
                    JsonObject m = new JsonObject();
                    m.addProperty("step", step + 1);
                    m.addProperty("loss", lossSum / lossCount);
                    m.addProperty("val_dice", dice);
                    m.addProperty("lr", lr.at(step));
                    AtomicFiles.appendRecord(log, m.toString());
                    extra += String.format(Locale.ROOT, ", val Dice %.4f", dice);
                    lossSum = 0;
                    lossCount = 0;
                    if (dice > bestDice) {
                        bestDice = dice;
                        bestStep = step + 1;
                        save(model, best);
                    }
                }
                progress.update(step + 1, extra);
            }
            adam.close();
            return new Result(recipe.steps(), bestDice, bestStep, best);
        }
    }

    /**
     * The loss of a batch of clips (training), or with {@code training} false their slices' masks
     * thresholded (validation): frame 0 from its prompt without memory, every later frame tracked.
     */
    static NDArray clipLoss(Sam2Model model, NDManager m, List<SliceClips.Clip> clips, int frames, boolean training) {
        Frames f = Frames.of(model, m, clips, frames, training);
        NDArray total = null;
        for (int t = 0; t < frames; t++) {
            NDArray l = Sam2Loss.of(f.heads.get(t), f.targets.get(t));
            total = total == null ? l : total.add(l);
        }
        return Ops.div(total, frames);
    }

    /** The forward pass over a batch of clips: every frame's heads output and target. */
    private record Frames(List<Sam2Model.HeadsOutput> heads, List<NDArray> targets) {

        static Frames of(Sam2Model model, NDManager m, List<SliceClips.Clip> clips, int frames, boolean training) {
            int b = clips.size();
            int s = model.imageSize();
            float[] all = new float[frames * b * 3 * s * s];
            float[] targets = new float[frames * b * s * s];
            for (int t = 0; t < frames; t++) {
                for (int c = 0; c < b; c++) {
                    System.arraycopy(clips.get(c).inputs().get(t), 0, all, (t * b + c) * 3 * s * s, 3 * s * s);
                    System.arraycopy(clips.get(c).targets().get(t), 0, targets, (t * b + c) * s * s, s * s);
                }
            }
            NDArray images = m.create(all, new Shape((long) frames * b, 3, s, s)).toDevice(model.device(), false);
            NDArray target = m.create(targets, new Shape((long) frames * b, 1, s, s)).toDevice(model.device(), false);
            Sam2Model.ImageFeatures features = model.encodeImage(null, images, training);
            int p = clips.get(0).labels().length;
            float[] pts = new float[b * p * 2];
            int[] labels = new int[b * p];
            for (int c = 0; c < b; c++) {
                System.arraycopy(clips.get(c).points(), 0, pts, c * p * 2, p * 2);
                System.arraycopy(clips.get(c).labels(), 0, labels, c * p, p);
            }
            NDArray coords = m.create(pts, new Shape(b, p, 2)).toDevice(model.device(), false);
            NDArray lab = m.create(labels, new Shape(b, p)).toDevice(model.device(), false);
            Map<Integer, Sam2Model.FrameMemory> cond = new LinkedHashMap<>();
            Map<Integer, Sam2Model.FrameMemory> nonCond = new LinkedHashMap<>();
            List<Sam2Model.HeadsOutput> heads = new ArrayList<>();
            List<NDArray> frameTargets = new ArrayList<>();
            for (int t = 0; t < frames; t++) {
                Sam2Model.ImageFeatures ft = frame(features, t, b);
                Sam2Model.MemoryBank bank = new Sam2Model.MemoryBank(cond, nonCond, frames);
                NDArray pix = model.conditionOnMemory(null, t, t == 0, ft, bank, false, training);
                Sam2Model.HeadsOutput h = t == 0
                        ? model.forwardSamHeads(null, pix, coords, lab, null, ft.highRes(), model.useMultimask(true, p), training)
                        : model.forwardSamHeads(null, pix, null, null, null, ft.highRes(), model.useMultimask(false, 0),
                                training);
                heads.add(h);
                frameTargets.add(target.get(t * b + ":" + (t + 1) * b));
                NDArray[] mem = model.encodeNewMemory(null, ft, h.highResMasks(), h.objectScoreLogits(), t == 0, training);
                Sam2Model.FrameMemory fm = new Sam2Model.FrameMemory(mem[0], mem[1], h.objPtr());
                (t == 0 ? cond : nonCond).put(t, fm);
            }
            return new Frames(heads, frameTargets);
        }

        private static Sam2Model.ImageFeatures frame(Sam2Model.ImageFeatures all, int t, int b) {
            String range = t * b + ":" + (t + 1) * b;
            NDArray[] hr = all.highRes() == null ? null
                    : new NDArray[] {all.highRes()[0].get(range), all.highRes()[1].get(range)};
            return new Sam2Model.ImageFeatures(hr, all.top().get(range), all.topPos());
        }
    }

    /** Mean Dice of the thresholded masks over every slice of the validation clips where the organ is (tracking). */
    private static double validate(Sam2Model model, NDManager manager, List<SliceClips.Clip> clips, int frames) {
        return Ops.noGrad(() -> {
            double sum = 0;
            int n = 0;
            for (int i = 0; i < clips.size(); i += 8) {
                try (NDManager m = manager.newSubManager()) {
                    List<SliceClips.Clip> part = clips.subList(i, Math.min(clips.size(), i + 8));
                    // one prompt kind per forward pass: clicks and boxes alternate in the validation set
                    for (boolean click : new boolean[] {true, false}) {
                        List<SliceClips.Clip> kind = new ArrayList<>();
                        for (SliceClips.Clip c : part) {
                            if ((c.labels().length == 1) == click) {
                                kind.add(c);
                            }
                        }
                        if (kind.isEmpty()) {
                            continue;
                        }
                        Frames f = Frames.of(model, m, kind, frames, false);
                        for (int t = 0; t < frames; t++) {
                            NDArray pred = f.heads().get(t).highResMasks().gt(0).toType(DataType.FLOAT32, false);
                            NDArray y = f.targets().get(t);
                            long b = pred.getShape().get(0);
                            float[] inter = pred.mul(y).reshape(b, -1).sum(new int[] {1}).toFloatArray();
                            float[] ps = pred.reshape(b, -1).sum(new int[] {1}).toFloatArray();
                            float[] ys = y.reshape(b, -1).sum(new int[] {1}).toFloatArray();
                            for (int c = 0; c < b; c++) {
                                if (ys[c] > 0) {
                                    sum += 2.0 * inter[c] / (ps[c] + ys[c]);
                                    n++;
                                }
                            }
                        }
                    }
                }
            }
            return n == 0 ? 0 : sum / n;
        });
    }

    /** Writes the weights as {@code {"model": state_dict}}, the layout of the official checkpoints. */
    static void save(Sam2Model model, Path file) throws IOException {
        TorchCheckpointWriter.OrderedMap sd = new TorchCheckpointWriter.OrderedMap();
        model.stateDictParameters().forEach((k, p) -> sd.put(k, new TorchCheckpointWriter.LazyTensor(TorchDType.FLOAT32,
                p.getArray().getShape().getShape(), () -> TensorData.of(p.getArray()))));
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("model", sd);
        TorchCheckpointWriter.write(file, root);
    }

}
