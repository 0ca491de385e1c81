package org.medsa.cli;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medsa.core.testing.Fixtures;
import org.medsa.data.nifti.NiftiImage;
import org.medsa.data.nifti.NiftiReader;
import org.medsa.data.phantom.Phantom;
import org.medsa.data.phantom.Rendering;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** train → eval → segment → metrics through the CLI contract, on sam_tiny and a small phantom. */
class WorkflowCommandsTest {

    @TempDir
    static Path tmp;
    static Path data;

    @BeforeAll
    static void phantom() {
        data = Phantom.builder().seed(2).size(32, 32, 8).cases(4).validationCases(1).rendering(Rendering.MR).build()
                .writeMsd(tmp.resolve("phantom"));
    }

    static String cfg() {
        return Fixtures.path("sam_tiny", "config.json").toString();
    }

    static String base() {
        return Fixtures.path("sam_tiny", "state_dict.pth").toString();
    }

    @Test
    void trainResumeEvalSegmentMetrics() throws Exception {
        Path run = tmp.resolve("run");
        CliRunner.Result r = CliRunner.run("train", "--model", cfg(), "--checkpoint", base(), "--adapters", "paper",
                "--data", data.toString(), "--steps", "2", "--batch", "2", "--seed", "3", "--out", run.toString(), "--devices", "cpu");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(Files.exists(run.resolve("adapters_best.pth")) && Files.exists(run.resolve("checkpoint_latest.pth")));
        assertTrue(Files.readAllLines(run.resolve("metrics.jsonl")).size() >= 2);
        // a second run into the same folder must not overwrite it
        r = CliRunner.run("train", "--model", cfg(), "--checkpoint", base(), "--adapters", "paper",
                "--data", data.toString(), "--steps", "2", "--batch", "2", "--seed", "3", "--out", run.toString(), "--devices", "cpu");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("--resume"), r.err());

        Path eval = tmp.resolve("eval");
        r = CliRunner.run("eval", "--model", cfg(), "--checkpoint", base(), "--adapter-weights", run.resolve("adapters_best.pth").toString(),
                "--data", data.toString(), "--prompts", "1-point,bbox-0.75,clicks-2", "--out", eval.toString(), "--device", "cpu");
        assertEquals(0, r.exitCode(), r.err());
        JsonObject results = JsonParser.parseString(Files.readString(eval.resolve("results.json"))).getAsJsonObject();
        assertEquals("mm", results.get("units").getAsString());
        JsonObject settings = results.getAsJsonObject("settings");
        assertTrue(settings.has("1-point") && settings.has("bbox-0.75") && settings.has("clicks-2"), settings.keySet().toString());
        JsonObject liver = settings.getAsJsonObject("1-point").getAsJsonObject("organs").getAsJsonObject("liver");
        double dice = liver.get("dice").getAsDouble();
        assertTrue(dice >= 0 && dice <= 1, "dice " + dice);
        assertTrue(Files.readString(eval.resolve("results.md")).contains("| liver |"));
        assertTrue(Files.readString(eval.resolve("results.csv")).startsWith("setting,organ,case,dice,iou,hd95"));

        // segment a volume with a box over two slices: the mask keeps the geometry
        String image = Files.list(data.resolve("imagesTr")).sorted().findFirst().orElseThrow().toString();
        Path mask = tmp.resolve("seg").resolve("mask.nii.gz");
        r = CliRunner.run("segment", "--model", cfg(), "--checkpoint", base(), "--image", image,
                "--box", "5,6,3,25,26,4", "--point", "16,16,3,1", "--out", mask.toString(), "--device", "cpu");
        assertEquals(0, r.exitCode(), r.err());
        NiftiImage in = NiftiReader.read(Path.of(image));
        NiftiImage out = NiftiReader.read(mask);
        assertArrayEquals(in.header().dims(), out.header().dims());
        assertArrayEquals(in.grid().affine().toRows()[0], out.grid().affine().toRows()[0], 1e-6);
        assertArrayEquals(in.grid().affine().toRows()[2], out.grid().affine().toRows()[2], 1e-6);
        int[] labels = out.toLabelVolume().data();
        for (int v : labels) {
            assertTrue(v == 0 || v == 1);
        }
        // only the prompted slices 3 and 4 are segmented
        for (int k = 0; k < 8; k++) {
            if (k == 3 || k == 4) {
                continue;
            }
            for (int j = 0; j < 32; j++) {
                for (int i = 0; i < 32; i++) {
                    assertEquals(0, labels[out.grid().index(i, j, k)]);
                }
            }
        }
        assertTrue(Files.exists(mask.resolveSibling("mask_slice003.png")) && Files.exists(mask.resolveSibling("mask_slice004.png")));

        // metrics of a label file against itself
        String label = Files.list(data.resolve("labelsTr")).sorted().findFirst().orElseThrow().toString();
        r = CliRunner.run("metrics", "--pred", label, "--truth", label, "--json");
        assertEquals(0, r.exitCode(), r.err());
        JsonObject labelsJson = JsonParser.parseString(r.out()).getAsJsonObject().getAsJsonObject("labels");
        assertTrue(labelsJson.size() >= 1);
        for (String k : labelsJson.keySet()) {
            JsonObject m = labelsJson.getAsJsonObject(k);
            assertEquals(1.0, m.get("dice").getAsDouble(), 0);
            assertEquals(1.0, m.get("iou").getAsDouble(), 0);
            assertEquals(0.0, m.get("hd95").getAsDouble(), 0);
        }
    }

    @Test
    void resumeContinuesAndParamsReportsCounts() throws Exception {
        Path run = tmp.resolve("resume");
        String[] base = {"train", "--model", cfg(), "--checkpoint", base(), "--adapters", "paper", "--data", data.toString(),
            "--steps", "2", "--batch", "2", "--out", run.toString(), "--devices", "cpu"};
        assertEquals(0, CliRunner.run(base).exitCode());
        String[] more = base.clone();
        more[java.util.Arrays.asList(more).indexOf("--steps") + 1] = "3";
        String[] withResume = java.util.Arrays.copyOf(more, more.length + 1);
        withResume[more.length] = "--resume";
        CliRunner.Result r = CliRunner.run(withResume);
        // the step count is part of the run's settings: resuming with another one is refused clearly
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("other settings"), r.err());

        r = CliRunner.run("params", "--model", "vit_h", "--adapters", "paper", "--json");
        assertEquals(0, r.exitCode(), r.err());
        JsonObject p = JsonParser.parseString(r.out()).getAsJsonObject();
        long trainable = p.get("trainable").getAsLong();
        assertEquals(13_007_488L, trainable); // the paper's "13 M" on ViT-H: 10,571,776 encoder + 2,435,712 decoder
        assertTrue(p.getAsJsonObject("parts").has("image_encoder"));
        r = CliRunner.run("params", "--model", "vit_b", "--adapters", "official-code", "--json");
        assertEquals(14_715_952L, JsonParser.parseString(r.out()).getAsJsonObject().get("trainable").getAsLong());
    }

    @Test
    void badDataFolderAndPrompts() throws Exception {
        CliRunner.Result r = CliRunner.run("train", "--model", cfg(), "--checkpoint", base(), "--adapters", "paper",
                "--data", tmp.toString(), "--steps", "1", "--out", tmp.resolve("x").toString());
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("not a dataset folder"), r.err());
        r = CliRunner.run("eval", "--model", cfg(), "--checkpoint", base(), "--data", data.toString(),
                "--prompts", "2-boxes", "--out", tmp.resolve("y").toString());
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("unknown prompt setting"), r.err());
        r = CliRunner.run("train", "--model", cfg(), "--checkpoint", base(), "--adapters", "papr",
                "--data", data.toString(), "--out", tmp.resolve("z").toString());
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("unknown adapter preset"), r.err());
    }
}
