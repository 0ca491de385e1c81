package org.medsa.train.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medsa.adapters.MedsaModel;
import org.medsa.adapters.ModelLoader;
import org.medsa.core.Diagnostics;
import org.medsa.core.MedsaException;
import org.medsa.core.modeling.SamConfig;
import org.medsa.core.testing.Tolerance;
import org.medsa.data.dataset.MsdDataset;
import org.medsa.data.dataset.Subset;
import org.medsa.data.phantom.Phantom;
import org.medsa.data.phantom.Rendering;
import org.medsa.data.transforms.Sample;

/** The trainer: exact resume, data parallelism, NaN stop, no leaks, only adapters change. */
class TrainerTest {

    @TempDir
    static Path tmp;
    static Path data;
    static Path base;

    /** A small SAM (32×32 input) with random weights saved as a base checkpoint, and a phantom dataset. */
    @BeforeAll
    static void setUp() throws Exception {
        data = Phantom.builder().seed(3).size(32, 24, 8).cases(5).validationCases(1).rendering(Rendering.MR).build()
                .writeMsd(tmp.resolve("phantom"));
        base = TinyModels.writeBase(tmp.resolve("base.pth"));
    }

    static SamConfig config() {
        return TinyModels.config();
    }

    static MedsaModel model(NDManager m) {
        return TinyModels.adapted(base, m);
    }

    static TrainingData trainData() {
        return TrainingData.of(MsdDataset.slices(data).optSubset(Subset.TRAINING).setSampling(4, false).build());
    }

    static TrainingData valData() {
        return TrainingData.of(MsdDataset.slices(data).optSubset(Subset.VALIDATION).setSampling(4, false).build());
    }

    static TrainConfig cfg(int steps) {
        TrainConfig.Builder c = TrainConfig.builder("paper");
        c.steps(steps);
        c.batch(4);
        c.lr(5e-3);
        c.validateEvery(3);
        c.validationSamples(8);
        c.checkpointEvery(3);
        return c.build();
    }

    static Diagnostics quiet() {
        return Diagnostics.none();
    }

    @Test
    void resumedRunEndsWithTheSameWeightsAsAnUninterruptedOne() throws Exception {
        Map<String, float[]> straight;
        try (NDManager m = NDManager.newBaseManager()) {
            MedsaModel model = model(m);
            try (Trainer t = new Trainer(Trainable.adapters(model, base), trainData(), valData(), cfg(6), tmp.resolve("straight"),
                    List.of(Device.cpu()), quiet())) {
                t.run(false);
                straight = Trainer.snapshot(t.optimizedParameters());
            }
        }
        Map<String, float[]> resumed;
        Path run = tmp.resolve("interrupted");
        try (NDManager m = NDManager.newBaseManager()) {
            MedsaModel model = model(m);
            TrainConfig.Builder c = cfg(6).toBuilder();
            c.checkpointEvery(3);
            try (Trainer t = new Trainer(Trainable.adapters(model, base), trainData(), valData(), c.build(), run,
                    List.of(Device.cpu()), quiet())) {
                // simulate an interruption: run 3 steps only
                Trainer.Result r = t.runUntil(3);
                assertEquals(3, r.steps());
            }
        }
        try (NDManager m = NDManager.newBaseManager()) {
            MedsaModel model = model(m);
            try (Trainer t = new Trainer(Trainable.adapters(model, base), trainData(), valData(), cfg(6), run,
                    List.of(Device.cpu()), quiet())) {
                Trainer.Result r = t.run(true);
                assertEquals(6, r.steps());
                resumed = Trainer.snapshot(t.optimizedParameters());
            }
        }
        assertEquals(straight.keySet(), resumed.keySet());
        boolean changed = false;
        for (String k : straight.keySet()) {
            assertArrayEquals(straight.get(k), resumed.get(k), k);
        }
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, float[]> initial = Trainer.snapshot(model(m).trainableParameters());
            for (String k : straight.keySet()) {
                changed |= !Arrays.equals(initial.get(k), straight.get(k));
            }
        }
        assertTrue(changed, "training must change the adapters");
        // the metrics log has each step once
        List<String> lines = Files.readAllLines(run.resolve(RunFolder.METRICS));
        long stepLines = lines.stream().filter(l -> l.contains("\"loss\"")).count();
        assertEquals(6, stepLines, String.join("\n", lines));
        assertTrue(Files.exists(run.resolve("adapters_best.pth")));
    }

    @Test
    void onlyAdaptersChangeAndTheBestIsReallyTheBest() throws Exception {
        Path run = tmp.resolve("best");
        try (NDManager m = NDManager.newBaseManager()) {
            MedsaModel model = model(m);
            Map<String, float[]> frozenBefore = Trainer.snapshot(frozen(model));
            try (Trainer t = new Trainer(Trainable.adapters(model, base), trainData(), valData(), cfg(6), run,
                    List.of(Device.cpu()), quiet())) {
                Trainer.Result r = t.run(false);
                double best = Double.NEGATIVE_INFINITY;
                int bestStep = -1;
                for (String line : Files.readAllLines(run.resolve(RunFolder.METRICS))) {
                    var o = JsonParser.parseString(line).getAsJsonObject();
                    if (o.has("val_dice") && o.get("val_dice").getAsDouble() > best) {
                        best = o.get("val_dice").getAsDouble();
                        bestStep = o.get("step").getAsInt();
                    }
                }
                assertEquals(best, r.bestDice(), 0);
                assertEquals(bestStep, r.bestStep());
                // the saved best adapters, loaded into a fresh model, validate to the recorded best Dice
                TrainConfig v = cfg(6);
                MedsaModel fresh = model(m);
                ModelLoader.loadAdapterWeights(fresh, r.best(), base, m);
                assertEquals(r.bestDice(), new Validator(fresh, valData(), v.validationSamples(), v.seed()).dice(), 1e-12,
                        "adapters_best.pth holds the weights of step " + r.bestStep());
                // the last logged validation (step 6) is what a fresh validator measures on the final weights
                double last = Double.NaN;
                for (String line : Files.readAllLines(run.resolve(RunFolder.METRICS))) {
                    var o = JsonParser.parseString(line).getAsJsonObject();
                    if (o.has("val_dice") && o.get("step").getAsInt() == 6) {
                        last = o.get("val_dice").getAsDouble();
                    }
                }
                TrainConfig.Builder c = cfg(6).toBuilder();
                assertEquals(new Validator(model, valData(), c.validationSamples(), c.seed()).dice(), last, 1e-12);
            }
            Map<String, float[]> frozenAfter = Trainer.snapshot(frozen(model));
            for (String k : frozenBefore.keySet()) {
                assertArrayEquals(frozenBefore.get(k), frozenAfter.get(k), k + " is frozen");
            }
        }
    }

    private static Map<String, Parameter> frozen(MedsaModel model) {
        Map<String, Parameter> out = new LinkedHashMap<>();
        model.stateDictParameters().forEach((k, p) -> {
            if (!model.isTrainable(k)) {
                out.put(k, p);
            }
        });
        return out;
    }

    @Test
    void twoReplicasMatchOneDevice() throws Exception {
        Map<String, float[]> one;
        Map<String, float[]> two;
        try (NDManager m = NDManager.newBaseManager()) {
            MedsaModel model = model(m);
            TrainConfig.Builder c = dpConfig().toBuilder();
            try (Trainer t = new Trainer(Trainable.adapters(model, base), trainData(), null, c.build(), tmp.resolve("one"),
                    List.of(Device.cpu()), quiet())) {
                t.run(false);
                one = Trainer.snapshot(t.optimizedParameters());
            }
        }
        try (NDManager m = NDManager.newBaseManager()) {
            MedsaModel model = model(m);
            TrainConfig.Builder c = dpConfig().toBuilder();
            // two replicas on the CPU exercise the same code path as two GPUs
            try (Trainer t = new Trainer(Trainable.adapters(model, base), trainData(), null, c.build(), tmp.resolve("two"),
                    List.of(Device.cpu(), Device.cpu()), quiet())) {
                t.run(false);
                two = Trainer.snapshot(t.optimizedParameters());
            }
        }
        double maxDiff = 0;
        for (String k : one.keySet()) {
            float[] a = one.get(k);
            float[] b = two.get(k);
            for (int i = 0; i < a.length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
            }
        }
        assertTrue(maxDiff < 1e-5, "max weight difference " + maxDiff);
    }

    /**
     * Adam turns a gradient that is zero up to rounding into a full ±lr step, so the order of a
     * sum could flip it; a large epsilon makes the update proportional to the gradient.
     */
    private static TrainConfig dpConfig() {
        TrainConfig.Builder c = cfg(3).toBuilder();
        c.maxGradNorm(0);
        c.eps(1.0);
        c.lr(0.5);
        c.weightDecay(0);
        return c.build();
    }

    @Test
    void nanInputStopsWithAClearMessage() throws Exception {
        TrainingData good = trainData();
        TrainingData poisoned = new TrainingData() {
            @Override
            public long size() {
                return good.size();
            }

            @Override
            public int depth() {
                return 1;
            }

            @Override
            public Sample sample(long index) {
                Sample s = good.sample(index);
                float[] image = s.image().clone();
                image[5] = Float.NaN;
                return new Sample(s.depth(), s.channels(), s.height(), s.width(), image, s.target());
            }

            @Override
            public void setEpoch(int epoch) {
                good.setEpoch(epoch);
            }
        };
        try (NDManager m = NDManager.newBaseManager()) {
            MedsaModel model = model(m);
            try (Trainer t = new Trainer(Trainable.adapters(model, base), poisoned, null, cfg(3), tmp.resolve("nan"),
                    List.of(Device.cpu()), quiet())) {
                MedsaException e = assertThrows(MedsaException.class, () -> t.run(false));
                assertTrue(e.getMessage().matches("training sample \\d+ is unusable: image value 5 is NaN: NaN or infinite"
                        + " intensities cannot be segmented"), e.getMessage());
            }
        }
    }

    @Test
    void accumulatingTwoMicroBatchesEqualsOneBatchOfTheirSamples() throws Exception {
        Map<String, float[]> initial;
        Map<String, float[]> whole;
        // no clipping: a wrong scale of the accumulated gradient must show, not be clipped away
        // Adam is blind to the gradient's scale unless eps matters: make it matter (then the update is
        // about lr·g, and a learning rate of 0.05 makes it large next to the bound below)
        TrainConfig oneByFour = cfg(3).toBuilder().batch(4).maxGradNorm(0).eps(1.0).lr(0.05).build();
        try (NDManager m = NDManager.newBaseManager()) {
            MedsaModel model = model(m);
            initial = Trainer.snapshot(Trainable.adapters(model, base).parameters());
            try (Trainer t = new Trainer(Trainable.adapters(model, base), trainData(), null, oneByFour, tmp.resolve("acc-1x4"),
                    List.of(Device.cpu()), quiet())) {
                t.run(false);
                whole = Trainer.snapshot(t.optimizedParameters());
            }
        }
        try (NDManager m = NDManager.newBaseManager()) {
            TrainConfig twoByTwo = oneByFour.toBuilder().batch(2).accumulate(2).build();
            try (Trainer t = new Trainer(Trainable.adapters(model(m), base), trainData(), null, twoByTwo, tmp.resolve("acc-2x2"),
                    List.of(Device.cpu()), quiet())) {
                t.run(false);
                Map<String, float[]> accumulated = Trainer.snapshot(t.optimizedParameters());
                double largest = 0;
                double update = 0;
                for (String k : whole.keySet()) {
                    float[] a = whole.get(k);
                    float[] b = accumulated.get(k);
                    float[] i0 = initial.get(k);
                    for (int i = 0; i < a.length; i++) {
                        largest = Math.max(largest, Math.abs(a[i] - b[i]));
                        update = Math.max(update, Math.abs(a[i] - i0[i]));
                    }
                }
                // the same samples, prompts and mean gradient: only the summation order differs
                assertTrue(largest < 1e-5, "largest difference " + largest);
                assertTrue(update > 100 * 1e-5, "the updates (largest " + update + ") dwarf the bound, so it can fail");
                List<Double> a = losses(tmp.resolve("acc-1x4"));
                List<Double> b = losses(tmp.resolve("acc-2x2"));
                List<Double> ga = metric(tmp.resolve("acc-1x4"), "grad_norm");
                List<Double> gb = metric(tmp.resolve("acc-2x2"), "grad_norm");
                assertEquals(3, a.size());
                assertEquals(3, ga.size());
                for (int i = 0; i < 3; i++) {
                    assertEquals(a.get(i), b.get(i), 1e-5, "loss of step " + (i + 1));
                    assertEquals(ga.get(i), gb.get(i), 1e-5 * ga.get(i), "gradient norm of step " + (i + 1));
                    assertTrue(ga.get(i) > 0, "a real gradient at step " + (i + 1));
                }
            }
        }
    }

    @Test
    void activationCheckpointingTrainsTheSameWeights() throws Exception {
        Map<String, float[]> plain;
        try (NDManager m = NDManager.newBaseManager()) {
            TrainConfig.Builder c = cfg(3).toBuilder();
            try (Trainer t = new Trainer(Trainable.adapters(model(m), base), trainData(), null, c.build(), tmp.resolve("ck-off"),
                    List.of(Device.cpu()), quiet())) {
                t.run(false);
                plain = Trainer.snapshot(t.optimizedParameters());
            }
        }
        try (NDManager m = NDManager.newBaseManager()) {
            TrainConfig.Builder c = cfg(3).toBuilder();
            c.checkpointing(true);
            try (Trainer t = new Trainer(Trainable.adapters(model(m), base), trainData(), null, c.build(), tmp.resolve("ck-on"),
                    List.of(Device.cpu()), quiet())) {
                t.run(false);
                Map<String, float[]> checkpointed = Trainer.snapshot(t.optimizedParameters());
                assertEquals(plain.keySet(), checkpointed.keySet());
                for (String k : plain.keySet()) {
                    Tolerance.assertClose(k, plain.get(k), checkpointed.get(k), 1e-6, 1e-3);
                }
                List<Double> a = losses(tmp.resolve("ck-off"));
                List<Double> b = losses(tmp.resolve("ck-on"));
                assertEquals(3, b.size());
                for (int i = 0; i < 3; i++) {
                    assertEquals(a.get(i), b.get(i), 1e-6, "loss of step " + (i + 1));
                }
            }
        }
    }

    /**
     * The frozen encoder in float16 with loss scaling: each step's loss stays within 1 % of float32
     * training and the first step's (unscaled) gradient norm within 2 % — float16 rounds to 2^-11
     * relative, and a wrongly unscaled gradient would be off by the loss scale, 1024×.
     */
    @Test
    void halfPrecisionTrainsLikeFloat32() throws Exception {
        for (boolean half : new boolean[] {false, true}) {
            try (NDManager m = NDManager.newBaseManager()) {
                TrainConfig.Builder c = cfg(3).toBuilder();
                c.halfPrecision(half);
                MedsaModel model = model(m);
                try (Trainer t = new Trainer(Trainable.adapters(model, base), trainData(), null, c.build(),
                        tmp.resolve("half-" + half),
                        List.of(Device.cpu()), quiet())) {
                    t.run(false);
                }
                assertFalse(model.imageEncoder().halfPrecision(), "the trainer leaves the model as it found it");
            }
        }
        List<Double> a = losses(tmp.resolve("half-false"));
        List<Double> b = losses(tmp.resolve("half-true"));
        List<Double> na = metric(tmp.resolve("half-false"), "grad_norm");
        List<Double> nb = metric(tmp.resolve("half-true"), "grad_norm");
        assertEquals(3, b.size());
        for (int i = 0; i < 3; i++) {
            assertEquals(a.get(i), b.get(i), 1e-2 * Math.abs(a.get(i)), "loss of step " + (i + 1));
        }
        // the first step only: from the same weights. Adam then moves every weight by about lr
        // whatever its gradient's size, so float16 noise in tiny gradients makes the models differ
        assertEquals(na.get(0), nb.get(0), 2e-2 * na.get(0), "gradient norm of step 1");
    }

    /**
     * A float16 overflow skips the step and halves the loss scale instead of ending the run: with a
     * scale of 1e38 every step overflows, so three steps leave the adapters as they were and log
     * the halving scale.
     */
    @Test
    void halfPrecisionOverflowSkipsTheStep() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            TrainConfig.Builder c = cfg(3).toBuilder();
            c.halfPrecision(true);
            c.lossScale(1e38);
            try (Trainer t = new Trainer(Trainable.adapters(model(m), base), trainData(), null, c.build(),
                    tmp.resolve("overflow"),
                    List.of(Device.cpu()), quiet())) {
                Map<String, float[]> before = Trainer.snapshot(t.optimizedParameters());
                t.run(false);
                Map<String, float[]> after = Trainer.snapshot(t.optimizedParameters());
                for (String k : before.keySet()) {
                    Assertions.assertArrayEquals(before.get(k), after.get(k), k);
                }
            }
            List<String> skipped = new ArrayList<>();
            for (String line : Files.readAllLines(tmp.resolve("overflow").resolve(RunFolder.METRICS))) {
                var o = JsonParser.parseString(line).getAsJsonObject();
                if (o.has("skipped")) {
                    skipped.add(o.get("skipped").getAsString());
                }
            }
            assertEquals(List.of("float16 overflow; loss scale now 5.0E37", "float16 overflow; loss scale now 2.5E37",
                    "float16 overflow; loss scale now 1.25E37"), skipped);
        }
    }

    /** A run saved before a training setting existed resumes: the missing setting reads as its default. */
    @Test
    void runsSavedBeforeANewSettingExistedStillMatch() {
        TrainConfig.Builder c = cfg(3).toBuilder();
        JsonObject now = new JsonObject();
        now.add("train_config", c.build().toJson());
        now.addProperty("steps", 3);
        JsonObject older = now.deepCopy();
        older.getAsJsonObject("train_config").remove("halfPrecision");
        older.getAsJsonObject("train_config").remove("lossScale");
        assertEquals(now, RunFolder.withDefaults(older));
        c.lossScale(512); // a setting that differs still differs
        JsonObject other = now.deepCopy();
        other.add("train_config", c.build().toJson());
        Assertions.assertNotEquals(now, RunFolder.withDefaults(other));
        JsonObject removed = now.deepCopy(); // a setting this version no longer has
        removed.getAsJsonObject("train_config").addProperty("someOldSetting", 3);
        Assertions.assertNotEquals(now, RunFolder.withDefaults(removed));
    }

    private static List<Double> losses(Path run) throws Exception {
        return metric(run, "loss");
    }

    private static List<Double> metric(Path run, String key) throws Exception {
        List<Double> out = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve(RunFolder.METRICS))) {
            var o = JsonParser.parseString(line).getAsJsonObject();
            if (o.has(key)) {
                out.add(o.get(key).getAsDouble());
            }
        }
        return out;
    }

    @Test
    void nanWeightsAreBlamedNotTheLearningRate() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            MedsaModel model = model(m);
            String name = "image_encoder.blocks.0.attn.qkv.weight";
            NDArray w = model.stateDictParameters().get(name).getArray();
            w.set(new NDIndex("0, 0"), Float.NaN);
            try (Trainer t = new Trainer(Trainable.adapters(model, base), trainData(), null, cfg(3), tmp.resolve("nanw"),
                    List.of(Device.cpu()), quiet())) {
                MedsaException e = assertThrows(MedsaException.class, () -> t.run(false));
                assertEquals("training stopped at step 1: the model's weights hold NaN or infinite values (" + name
                        + "); check the base checkpoint and the adapter weights", e.getMessage());
            }
        }
    }

    @Test
    void noArraysPileUpInLongLivedManagers() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            MedsaModel model = model(m);
            TrainConfig.Builder c = cfg(12).toBuilder();
            c.validateEvery(4);
            try (Trainer t = new Trainer(Trainable.adapters(model, base), trainData(), valData(), c.build(),
                    tmp.resolve("leak"), List.of(Device.cpu()), quiet())) {
                t.runUntil(4);
                int after4 = ((BaseNDManager) m).getManagedArrays().size();
                t.runUntil(12);
                int after12 = ((BaseNDManager) m).getManagedArrays().size();
                assertEquals(after4, after12, "arrays held by the model's manager after 4 and after 12 steps");
            }
        }
    }

    @Test
    void refusesToOverwriteARunAndToResumeWithOtherSettings() throws Exception {
        Path run = tmp.resolve("guard");
        // what a save killed half-way leaves behind: the next save of that file removes it
        Files.createDirectories(run);
        Files.writeString(run.resolve(".checkpoint_latest.pth.k1lled.tmp"), "half a checkpoint");
        try (NDManager m = NDManager.newBaseManager()) {
            try (Trainer t = new Trainer(Trainable.adapters(model(m), base), trainData(), null, cfg(3), run,
                    List.of(Device.cpu()), quiet())) {
                t.run(false);
            }
            try (Trainer t = new Trainer(Trainable.adapters(model(m), base), trainData(), null, cfg(3), run,
                    List.of(Device.cpu()), quiet())) {
                MedsaException e = assertThrows(MedsaException.class, () -> t.run(false));
                assertTrue(e.getMessage().contains("--resume"), e.getMessage());
            }
            TrainConfig.Builder other = cfg(3).toBuilder();
            other.lr(1e-4);
            try (Trainer t = new Trainer(Trainable.adapters(model(m), base), trainData(), null, other.build(), run,
                    List.of(Device.cpu()), quiet())) {
                MedsaException e = assertThrows(MedsaException.class, () -> t.run(true));
                assertTrue(e.getMessage().contains("other settings") && e.getMessage().contains("lr"), e.getMessage());
            }
        }
        try (var files = Files.list(run)) {
            List<String> temporaries = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".tmp")).toList();
            assertEquals(List.of(), temporaries, "no temporary file is left in the run folder");
        }
    }
}
