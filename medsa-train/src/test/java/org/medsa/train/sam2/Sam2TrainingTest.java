package org.medsa.train.sam2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medsa.core.Diagnostics;
import org.medsa.core.geometry.InputGeometry;
import org.medsa.core.modeling.sam2.Sam2Config;
import org.medsa.core.modeling.sam2.Sam2Model;
import org.medsa.core.testing.Fixtures;
import org.medsa.data.dataset.Subset;
import org.medsa.data.phantom.Phantom;
import org.medsa.data.phantom.Rendering;

/**
 * SAM 2's sequence training on the {@code sam2_tiny} fixture architecture and small CT-like
 * phantoms: the loss falls, runs with one seed are bit-identical, and the weights file is the
 * official {@code {"model": state_dict}} layout that {@link Sam2Model#load} reads strictly back to
 * the same numbers.
 */
class Sam2TrainingTest {

    @TempDir
    Path tmp;

    @Test
    void learnsIsReproducibleAndWritesTheOfficialLayout() throws Exception {
        Path data = Phantom.builder().seed(3).size(48, 40, 12).cases(3).validationCases(1).rendering(Rendering.CT).build()
                .writeMsd(tmp.resolve("ct"));
        Sam2Config config = Sam2Config.load(Fixtures.path("sam2_tiny", "config.json"));
        InputGeometry g = InputGeometry.sam2(config.imageSize);
        SliceClips train = SliceClips.of(data, Subset.TRAINING, 7, 3, g);
        SliceClips validation = SliceClips.of(data, Subset.VALIDATION, 7, 3, g);
        Sam2Training.Recipe recipe = new Sam2Training.Recipe(30, 2, 1e-3, 0.1, 0.01, 1.0, 5, 10, 4);
        Sam2Training.Result a = new Sam2Training(config, null, recipe, tmp.resolve("a")).console(Diagnostics.none())
                .run(train, validation);
        List<String> log = Files.readAllLines(tmp.resolve("a/metrics.jsonl"));
        assertEquals(3, log.size());
        double first = loss(log.get(0));
        double last = loss(log.get(2));
        assertTrue(last < 0.5 * first, "mean loss of steps 1-10 " + first + ", of steps 21-30 " + last);
        assertTrue(a.bestStep() > 0 && a.bestDice() >= 0 && a.bestDice() <= 1, a.toString());

        Sam2Training.Result b = new Sam2Training(config, null, recipe, tmp.resolve("b")).console(Diagnostics.none())
                .run(train, validation);
        assertEquals(Files.readAllLines(tmp.resolve("b/metrics.jsonl")), log, "same seed, same run");
        assertArrayEquals(Files.readAllBytes(a.best()), Files.readAllBytes(b.best()));

        try (NDManager m = NDManager.newBaseManager()) {
            Sam2Model loaded = Sam2Model.load(Sam2Config.load(tmp.resolve("a/config.json")), a.best(), m);
            Path again = tmp.resolve("again").resolve("sam2_best.pt"); // the archive names its folder after the file
            Sam2Training.save(loaded, again);
            assertArrayEquals(Files.readAllBytes(a.best()), Files.readAllBytes(again), "load then save gives the same file");
            Map<String, ?> params = loaded.stateDictParameters();
            assertTrue(params.size() > 100, "parameters: " + params.size());
        }
    }

    private static double loss(String line) {
        JsonObject o = JsonParser.parseString(line).getAsJsonObject();
        return o.get("loss").getAsDouble();
    }
}
