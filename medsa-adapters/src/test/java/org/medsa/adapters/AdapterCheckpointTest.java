package org.medsa.adapters;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medsa.core.MedsaException;
import org.medsa.core.io.StateDictLoader;
import org.medsa.core.io.pth.TorchCheckpoint;
import org.medsa.core.io.pth.TorchCheckpointWriter;
import org.medsa.core.modeling.SamConfig;
import org.medsa.core.predictor.Prompt;
import org.medsa.core.predictor.RgbImage;
import org.medsa.core.predictor.SamPrediction;
import org.medsa.core.predictor.SamPredictor;
import org.medsa.core.testing.Fixtures;
import org.medsa.core.testing.Tolerance;

/** Adapter files hold only the trainable weights and load back onto the right base only. */
class AdapterCheckpointTest {

    @TempDir
    Path tmp;

    private static SamPrediction predict(MedsaModel model, NDManager m) {
        try (SamPredictor p = new SamPredictor(model, m)) {
            p.setImage(RgbImage.fromNpy(Fixtures.npy("sam_tiny", "image.npy"), "image.npy"));
            return p.predict(new Prompt().point(80, 35, 1).point(30.5, 60.25, 0), false);
        }
    }

    @Test
    void roundTripRestoresTheAdaptedModelExactly() throws Exception {
        Path base = Fixtures.path("sam_tiny", "state_dict.pth");
        Path file = tmp.resolve("adapters.pth");
        float[] expected;
        try (NDManager m = NDManager.newBaseManager()) {
            MedsaModel model = PresetsTest.paperOnSamTiny(m);
            SamPrediction before = predict(model, m);
            // give every adapter weight a non-trivial value, as training would
            Engine.getInstance().setRandomSeed(7);
            for (Map.Entry<String, Parameter> e : model.trainableParameters().entrySet()) {
                NDArray a = e.getValue().getArray();
                StateDictLoader.copyInto(a, m.randomNormal(0, 0.05f, a.getShape(), a.getDataType()));
            }
            expected = predict(model, m).lowResLogits();
            assertFalse(Arrays.equals(before.lowResLogits(), expected), "adapters must change the output");
            MedsaCheckpoints.saveAdapters(model, file, base, 42);
            long trainableBytes = ParameterCounts.of(model).trainable() * 4;
            long size = Files.size(file);
            assertTrue(size < trainableBytes + 64 * 1024, "file of " + size + " bytes for " + trainableBytes
                    + " bytes of weights");
        }
        try (NDManager m = NDManager.newBaseManager()) {
            MedsaModel fresh = PresetsTest.paperOnSamTiny(m);
            long step = MedsaCheckpoints.loadAdapters(fresh, file, base, m, false);
            assertEquals(42, step);
            assertArrayEquals(expected, predict(fresh, m).lowResLogits());
        }
    }

    @Test
    void refusesAnotherBaseAnotherPresetAndAnotherConfig() throws Exception {
        Path base = Fixtures.path("sam_tiny", "state_dict.pth");
        Path file = tmp.resolve("adapters.pth");
        try (NDManager m = NDManager.newBaseManager()) {
            MedsaModel model = PresetsTest.paperOnSamTiny(m);
            MedsaCheckpoints.saveAdapters(model, file, base, 1);
            Path otherBase = Fixtures.path("sam_tiny_large", "state_dict.pth");
            MedsaException e = assertThrows(MedsaException.class, ()
                    -> MedsaCheckpoints.loadAdapters(model, file, otherBase, m, false));
            assertTrue(e.getMessage().contains("trained on base checkpoint state_dict.pth") && e.getMessage()
                    .contains("SHA-256"), e.getMessage());
            MedsaCheckpoints.loadAdapters(model, file, otherBase, m, true); // explicitly allowed

            MedsaModel official = new MedsaModel(SamConfig.load(Fixtures.path("sam_tiny", "config.json")),
                    MedsaConfig.preset("official-code"));
            e = assertThrows(MedsaException.class, () -> MedsaCheckpoints.loadAdapters(official, file, base, m, false));
            assertTrue(e.getMessage().contains("preset 'paper'"), e.getMessage());

            SamConfig bigger = SamConfig.load(Fixtures.path("sam_tiny", "config.json"));
            bigger.imageEncoder.depth = 5;
            MedsaModel other = new MedsaModel(bigger, MedsaConfig.preset("paper"));
            e = assertThrows(MedsaException.class, () -> MedsaCheckpoints.loadAdapters(other, file, base, m, false));
            assertTrue(e.getMessage().contains("another model config"), e.getMessage());

            e = assertThrows(MedsaException.class, () -> MedsaCheckpoints.loadBase(PresetsTest.paperOnSamTiny(m), file, m));
            assertTrue(e.getMessage().contains("adapter file"), e.getMessage());
        }
    }

    @Test
    void officialMedsaTrainingCheckpointLoadsWithModulePrefix() throws Exception {
        // An official training checkpoint: {"epoch", "state_dict": {"module." + key: tensor}, ...}
        Path ckpt = tmp.resolve("best_dice_checkpoint.pth");
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("epoch", 3L);
        root.put("model", "sam");
        TorchCheckpointWriter.OrderedMap sd = new TorchCheckpointWriter.OrderedMap();
        try (TorchCheckpoint c = TorchCheckpoint.open(Fixtures.path("medsa_tiny", "state_dict.pth"))) {
            c.stateDict().forEach((k, t) -> sd.put("module." + k, c.read(t)));
        }
        root.put("state_dict", sd);
        root.put("best_tol", 0.8);
        TorchCheckpointWriter.write(ckpt, root);
        try (NDManager m = NDManager.newBaseManager()) {
            MedsaModel model = new MedsaModel(SamConfig.load(Fixtures.path("medsa_tiny", "config.json")),
                    MedsaConfig.preset("official-code"));
            MedsaCheckpoints.BaseLoad r = MedsaCheckpoints.loadBase(model, ckpt, m);
            assertTrue(r.containedAdapters());
            assertEquals(0, r.adaptersMissing());
            NDArray emb = model.encodeImage(null, Fixtures.npy("medsa_tiny", "input_image.npy").toNDArray(m), false);
            Tolerance.assertClose("embeddings", Fixtures.floats("medsa_tiny", "image_embeddings.npy"), emb.toFloatArray(), 1e-4,
                    1e-3);
        }
    }
}
