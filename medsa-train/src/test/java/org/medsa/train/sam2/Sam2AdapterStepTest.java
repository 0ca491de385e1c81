package org.medsa.train.sam2;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.medsa.adapters.AdaptedModel;
import org.medsa.adapters.MedsaConfig;
import org.medsa.adapters.MedsaSam2Model;
import org.medsa.core.io.StateDictLoader;
import org.medsa.core.modeling.sam2.Sam2Config;
import org.medsa.core.modeling.sam2.Sam2Model;
import org.medsa.core.testing.Fixtures;
import org.medsa.core.testing.TestData;

/**
 * Med-SA's adapters on SAM 2 against the official SAM 2 classes with the adapters inserted the way
 * this library inserts them ({@code testdata/references/sam2_adapter_step}, recorded by its
 * {@code record.py}): one training step on the sam2_tiny fixture — a conditioning slice from a click,
 * two slices tracked with memory, the last without the object — gives the same loss and the same
 * gradient in every one of the 92 adapter tensors of the Hiera blocks and the decoder (HyP-Adpt
 * included). And with the adapters as built (zero up-projections) the adapted model computes exactly
 * what SAM 2 computes.
 */
class Sam2AdapterStepTest {

    static final int S = 128;

    /** Fixture frames 0-2; a disk of radius 20 around (64, 60) on frames 0 and 1, none on 2; a click at its centre. */
    static SliceClips.Clip clip() {
        float[] images = Fixtures.floats("sam2_tiny", "images.npy");
        List<float[]> inputs = new ArrayList<>();
        List<float[]> targets = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            float[] in = new float[3 * S * S];
            System.arraycopy(images, t * 3 * S * S, in, 0, in.length);
            inputs.add(in);
            float[] target = new float[S * S];
            if (t < 2) {
                for (int y = 0; y < S; y++) {
                    for (int x = 0; x < S; x++) {
                        target[y * S + x] = (x - 64) * (x - 64) + (y - 60) * (y - 60) <= 400 ? 1 : 0;
                    }
                }
            }
            targets.add(target);
        }
        return new SliceClips.Clip(inputs, targets, new float[] {64, 60}, new int[] {1});
    }

    static MedsaSam2Model adapted(NDManager m) {
        Sam2Config config = Sam2Config.load(Fixtures.path("sam2_tiny", "config.json"));
        MedsaSam2Model model = new MedsaSam2Model(config, MedsaConfig.preset("paper"), false);
        StateDictLoader.load(model, Fixtures.path("sam2_tiny", "checkpoint.pt"), m,
                new StateDictLoader.Options().mayBeMissing(AdaptedModel::isAdapter));
        model.initialize(m, DataType.FLOAT32);
        model.freeze();
        return model;
    }

    /** record.py's values: base + 0.05·sin(0.7 i + 0.13 h), h = the name's characters summed mod 97 (base 1: LN weights). */
    static void fill(MedsaSam2Model model, NDManager m) {
        for (Map.Entry<String, Parameter> e : model.trainableParameters().entrySet()) {
            String name = e.getKey();
            int h = name.chars().sum() % 97;
            double base = name.contains(".norms.") && name.endsWith(".weight") ? 1 : 0;
            NDArray a = e.getValue().getArray();
            float[] v = new float[(int) a.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (base + 0.05 * Math.sin(0.7 * i + 0.13 * h));
            }
            StateDictLoader.copyInto(a, m.create(v, a.getShape()));
        }
    }

    @Test
    void oneStepGivesTheOfficialClassesLossAndAdapterGradients() throws Exception {
        JsonObject ref = JsonParser.parseString(Files.readString(TestData.path("references", "sam2_adapter_step", "step.json")))
                .getAsJsonObject();
        JsonObject grads = ref.getAsJsonObject("grads");
        try (NDManager m = NDManager.newBaseManager()) {
            MedsaSam2Model model = adapted(m);
            fill(model, m);
            Map<String, Parameter> trainable = model.trainableParameters();
            assertEquals(new TreeSet<>(grads.keySet()), new TreeSet<>(trainable.keySet()), "the adapter tensors and their names");
            double loss;
            try (NDManager s = m.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray l = Sam2Training.clipLoss(model, s, List.of(clip()), 3, false);
                loss = l.getFloat();
                gc.backward(l);
            }
            assertEquals(ref.get("loss").getAsDouble(), loss, 2e-5 * Math.abs(loss), "loss");
            double worst = 0;
            String worstName = "";
            for (Map.Entry<String, Parameter> e : trainable.entrySet()) {
                JsonObject r = grads.getAsJsonObject(e.getKey());
                float[] g;
                try (NDArray ga = e.getValue().getArray().getGradient()) {
                    g = ga.toFloatArray();
                }
                double sum = 0;
                double sumsq = 0;
                double weighted = 0;
                for (int i = 0; i < g.length; i++) {
                    sum += g[i];
                    sumsq += (double) g[i] * g[i];
                    weighted += g[i] * Math.sin(0.01 * i);
                }
                double norm = Math.sqrt(r.get("sumsq").getAsDouble());
                assertTrue(norm > 0, e.getKey() + " has a gradient in the reference");
                // differences relative to the gradient's norm: sum and weighted sum are projections of it
                double err = Math.max(Math.abs(Math.sqrt(sumsq) - norm), Math.max(Math.abs(sum - r.get("sum").getAsDouble()),
                        Math.abs(weighted - r.get("weighted").getAsDouble())) / Math.sqrt(g.length)) / norm;
                if (err > worst) {
                    worst = err;
                    worstName = e.getKey();
                }
            }
            System.out.printf("SAM 2 adapter step: loss %.7f vs %.7f; worst relative gradient difference %.2e (%s)%n", loss,
                    ref.get("loss").getAsDouble(), worst, worstName);
            assertTrue(worst < 1e-3, "gradient of " + worstName + " differs by " + worst + " of its norm");
        }
    }

    @Test
    void theAdaptersAsBuiltLeaveSam2Unchanged() {
        try (NDManager m = NDManager.newBaseManager()) {
            MedsaSam2Model model = adapted(m);
            Sam2Model base = Sam2Model.load(Sam2Config.load(Fixtures.path("sam2_tiny", "config.json")),
                    Fixtures.path("sam2_tiny", "checkpoint.pt"), m);
            float a = Sam2Training.clipLoss(model, m, List.of(clip()), 3, false).getFloat();
            float b = Sam2Training.clipLoss(base, m, List.of(clip()), 3, false).getFloat();
            assertEquals(b, a, 0f, "zero up-projections: the adapted model is SAM 2");
            assertTrue(model.trainableParameters().keySet().stream().allMatch(AdaptedModel::isAdapter));
            assertEquals(92, model.trainableParameters().size());
        }
    }
}
