package org.medsa.train.sam2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medsa.adapters.MedsaConfig;
import org.medsa.adapters.MedsaSam2Model;
import org.medsa.adapters.ModelLoader;
import org.medsa.core.Diagnostics;
import org.medsa.core.MedsaException;
import org.medsa.core.Seeds;
import org.medsa.core.modeling.sam2.Sam2Config;
import org.medsa.core.testing.Fixtures;
import org.medsa.data.dataset.MsdDataset;
import org.medsa.data.dataset.Subset;
import org.medsa.data.phantom.Phantom;
import org.medsa.data.phantom.Rendering;
import org.medsa.data.transforms.Sample;
import org.medsa.train.FineTuning;
import org.medsa.train.eval.Evaluator;
import org.medsa.train.eval.PromptSetting;
import org.medsa.train.training.TrainConfig;
import org.medsa.train.training.Trainable;
import org.medsa.train.training.Trainer;
import org.medsa.train.training.TrainingData;

/**
 * Med-SA on SAM 2 through the library's trainer ({@link FineTuning} with a SAM 2 config): chunks of
 * slices of non-square phantom volumes tracked with memory, only the adapters change (SAM 2's own
 * weights stay bit-identical), a run resumed after a stop ends bit-identical to one that ran
 * through, and the validation score the run keeps is evaluation's {@code 3d-1-point} Dice on the
 * same volumes.
 */
class Sam2FineTuningTest {

    @TempDir
    static Path tmp;
    static Path data;

    @BeforeAll
    static void data() throws Exception {
        data = Phantom.builder().seed(31).size(40, 26, 8).cases(3).validationCases(1).rendering(Rendering.MR).build()
                .writeMsd(tmp.resolve("msd"));
    }

    static TrainConfig config(int steps) {
        // one tracked slice per chunk also gets corrected, so resume and frozen weights cover that path too
        return TrainConfig.sam2().steps(steps).lr(1e-3).warmup(0).validateEvery(2).checkpointEvery(2).logEvery(1).seed(11)
                .correctedSlices(1).build();
    }

    static FineTuning tuning(Path run, int steps) {
        return new FineTuning(Sam2Config.load(Fixtures.path("sam2_tiny", "config.json")), Fixtures.path("sam2_tiny",
                "checkpoint.pt"), MedsaConfig.preset("paper"), false, config(steps), run).console(Diagnostics.none())
                .devices(List.of(Device.cpu()));
    }

    static TrainingData chunks(Subset s) {
        return TrainingData.of(MsdDataset.chunks(data, 4).optSubset(s).build());
    }

    /** Every weight of a run's best adapters, with SAM 2's base under them. */
    static Map<String, float[]> weights(Path adapters) {
        try (NDManager m = NDManager.newBaseManager()) {
            MedsaSam2Model model = (MedsaSam2Model) ModelLoader.forModel(Fixtures.path("sam2_tiny", "config.json").toString(),
                    Fixtures.path("sam2_tiny", "checkpoint.pt")).adapterWeights(adapters).loadModel(m);
            Map<String, float[]> out = new TreeMap<>();
            for (Map.Entry<String, Parameter> e : model.stateDictParameters().entrySet()) {
                out.put(e.getKey(), e.getValue().getArray().toFloatArray());
            }
            return out;
        }
    }

    @Test
    void onlyTheAdaptersChangeAResumedRunIsTheSameAndValidationIsEvaluation() throws Exception {
        Path straight = tmp.resolve("straight");
        Trainer.Result r = tuning(straight, 4).train(chunks(Subset.TRAINING), chunks(Subset.VALIDATION), false);
        assertEquals(4, r.steps());
        Path half = tmp.resolve("half");
        // a run stopped after its step-2 checkpoint (a new process: a new model), then resumed to the end
        MsdDataset valVolumes = chunks(Subset.VALIDATION).volumes();
        for (int part = 0; part < 2; part++) {
            try (NDManager m = NDManager.newBaseManager()) {
                Seeds.seedEngineForRun(11);
                MedsaSam2Model model = MedsaSam2Model.load(Sam2Config.load(Fixtures.path("sam2_tiny", "config.json")),
                        MedsaConfig.preset("paper"), false, Fixtures.path("sam2_tiny", "checkpoint.pt"), m);
                Trainer.Validation v = () -> new Evaluator(model, m, 11, Diagnostics.none()).evaluate(valVolumes,
                        List.of(PromptSetting.parse("3d-1-point"))).meanDice("3d-1-point");
                try (Trainer t = new Trainer(Trainable.adapters(model, Fixtures.path("sam2_tiny", "checkpoint.pt")),
                        chunks(Subset.TRAINING), config(4), half, List.of(Device.cpu()), Diagnostics.none(), v)) {
                    Trainer.Result res = part == 0 ? t.runUntil(2) : t.run(true);
                    assertEquals(part == 0 ? 2 : 4, res.steps());
                }
            }
        }

        Map<String, float[]> a = weights(straight.resolve("checkpoint_latest.pth"));
        Map<String, float[]> b = weights(half.resolve("checkpoint_latest.pth"));
        Map<String, float[]> base;
        try (NDManager m = NDManager.newBaseManager()) {
            MedsaSam2Model fresh = MedsaSam2Model.load(Sam2Config.load(Fixtures.path("sam2_tiny", "config.json")),
                    MedsaConfig.preset("paper"), false, Fixtures.path("sam2_tiny", "checkpoint.pt"), m);
            base = new TreeMap<>();
            fresh.stateDictParameters().forEach((k, p) -> base.put(k, p.getArray().toFloatArray()));
        }
        int adaptersChanged = 0;
        for (String k : a.keySet()) {
            assertArrayEquals(a.get(k), b.get(k), "resumed run differs in " + k);
            if (k.contains("Adapter")) {
                adaptersChanged += Arrays.equals(a.get(k), base.get(k)) ? 0 : 1;
            } else {
                assertArrayEquals(base.get(k), a.get(k), "frozen SAM 2 weight changed: " + k);
            }
        }
        assertTrue(adaptersChanged > 40, "adapter tensors trained: " + adaptersChanged);

        // the last validation score logged is evaluation's 3d-1-point on the validation volumes
        List<String> log = Files.readAllLines(straight.resolve("metrics.jsonl"));
        double logged = Double.NaN;
        for (String line : log) {
            JsonObject o = JsonParser.parseString(line).getAsJsonObject();
            if (o.has("val_dice") && o.get("step").getAsInt() == 4) {
                logged = o.get("val_dice").getAsDouble();
            }
        }
        try (NDManager m = NDManager.newBaseManager()) {
            MedsaSam2Model model = (MedsaSam2Model) ModelLoader.forModel(Fixtures.path("sam2_tiny", "config.json").toString(),
                    Fixtures.path("sam2_tiny", "checkpoint.pt")).adapterWeights(straight.resolve("checkpoint_latest.pth"))
                    .loadModel(m);
            double eval = new Evaluator(model, m, 11, Diagnostics.none()).evaluate(chunks(Subset.VALIDATION).volumes(),
                    List.of(PromptSetting.parse("3d-1-point"))).meanDice("3d-1-point");
            assertEquals(eval, logged, 1e-12, "validation is evaluation");
            assertNotEquals(Double.NaN, eval);
        }
    }

    @Test
    void checkpointedHieraBlocksGiveTheSameGradients() {
        TrainingData train = chunks(Subset.TRAINING);
        List<Sample> samples = List.of(train.sample(0), train.sample(3));
        Map<String, float[]>[] grads = new Map[2];
        double[] losses = new double[2];
        for (int c = 0; c < 2; c++) {
            try (NDManager m = NDManager.newBaseManager()) {
                MedsaSam2Model model = MedsaSam2Model.load(Sam2Config.load(Fixtures.path("sam2_tiny", "config.json")),
                        MedsaConfig.preset("paper"), false, Fixtures.path("sam2_tiny", "checkpoint.pt"), m);
                Sam2AdapterStepTest.fill(model, m); // non-zero up-projections: every adapter gets a gradient
                SequenceRounds rounds = new SequenceRounds(model, "sam2", 1, 1, false, c == 1);
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    SequenceRounds.Outcome out = rounds.run(samples, new long[] {5, 6}, false, m, true);
                    losses[c] = out.loss().getFloat();
                    gc.backward(out.loss());
                    out.backwardCheckpoints();
                    assertEquals(c == 1 ? 2 : 0, out.checkpoints().size());
                }
                grads[c] = new TreeMap<>();
                for (Map.Entry<String, Parameter> e : model.trainableParameters().entrySet()) {
                    grads[c].put(e.getKey(), e.getValue().getArray().getGradient().toFloatArray());
                }
            }
        }
        assertEquals(losses[0], losses[1], 1e-6 * Math.abs(losses[0]));
        double worst = 0;
        for (String k : grads[0].keySet()) {
            float[] a = grads[0].get(k);
            float[] b = grads[1].get(k);
            double norm = 0;
            double diff = 0;
            for (int i = 0; i < a.length; i++) {
                norm += (double) a[i] * a[i];
                diff += (double) (a[i] - b[i]) * (a[i] - b[i]);
            }
            if (k.startsWith("image_encoder.")) {
                assertTrue(norm > 0, k + " has no gradient");
            }
            worst = Math.max(worst, norm == 0 ? diff : Math.sqrt(diff / norm));
        }
        assertTrue(worst < 1e-5, "checkpointed gradients differ by " + worst);
    }

    /**
     * Corrected slices are wired in: with the same sample and seed, correcting one or all three
     * tracked slices of a 4-slice chunk changes the step's loss each time, the same settings give
     * the same loss again, and corrected slices without a corrective round are refused.
     */
    @Test
    void correctedSlicesChangeTheStep() {
        Sample sample = chunks(Subset.TRAINING).sample(0);
        try (NDManager m = NDManager.newBaseManager()) {
            MedsaSam2Model model = MedsaSam2Model.load(Sam2Config.load(Fixtures.path("sam2_tiny", "config.json")),
                    MedsaConfig.preset("paper"), false, Fixtures.path("sam2_tiny", "checkpoint.pt"), m);
            Sam2AdapterStepTest.fill(model, m);
            int[] corrected = {0, 1, 3, 1};
            double[] loss = new double[corrected.length];
            for (int i = 0; i < corrected.length; i++) {
                try (NDManager sm = m.newSubManager()) {
                    loss[i] = new SequenceRounds(model, "sam2", 1, corrected[i], false, false).run(List.of(sample),
                            new long[] {5}, false, sm, false).loss().getFloat();
                }
                assertTrue(Double.isFinite(loss[i]), "loss " + loss[i]);
            }
            assertNotEquals(loss[0], loss[1], "one corrected slice changes the step");
            assertNotEquals(loss[1], loss[2], "three corrected slices change it again");
            assertEquals(loss[1], loss[3], "the same seed corrects the same slices with the same clicks");
        }
        MedsaException e = assertThrows(MedsaException.class, () -> TrainConfig.sam2().correctiveRounds(0).correctedSlices(1)
                .build());
        assertTrue(e.getMessage().contains("corrected slices need at least one corrective round"), e.getMessage());
    }

    @Test
    void refusals() {
        TrainingData slices = TrainingData.of(MsdDataset.slices(data).optSubset(Subset.TRAINING).build());
        MedsaException e = assertThrows(MedsaException.class, () -> tuning(tmp.resolve("r1"), 2).train(slices, null, false));
        assertTrue(e.getMessage().contains("chunks of at least 2 slices"), e.getMessage());
        MedsaException f = assertThrows(MedsaException.class, () -> new MedsaSam2Model(Sam2Config.load(Fixtures.path(
                "sam2_tiny", "config.json")), MedsaConfig.preset("official-code"), false));
        assertTrue(f.getMessage().contains("'paper' adapters"), f.getMessage());
    }
}
