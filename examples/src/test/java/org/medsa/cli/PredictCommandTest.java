package org.medsa.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import org.medsa.core.io.Npy;
import org.medsa.core.io.pth.TensorData;
import org.medsa.core.testing.Fixtures;
import org.medsa.core.testing.Tolerance;

/** {@code medsa predict} reproduces every fixture case through its file contract. */
class PredictCommandTest {

    @TempDir
    static Path tmp;

    static List<String> args(String fixture, String name, Path out, String... extra) {
        JsonObject cj = Fixtures.json(fixture, "cases", name, "case.json").getAsJsonObject();
        List<String> a = new ArrayList<>(List.of("predict",
                "--model", Fixtures.path(fixture, "config.json").toString(),
                "--checkpoint", Fixtures.path(fixture, "state_dict.pth").toString(),
                "--image", Fixtures.path(fixture, "image.npy").toString(),
                "--out", out.toString(), "--device", "cpu"));
        JsonElement pts = cj.get("point_coords_original_xy");
        if (pts != null && !pts.isJsonNull()) {
            JsonArray labels = cj.getAsJsonArray("point_labels");
            for (int i = 0; i < pts.getAsJsonArray().size(); i++) {
                JsonArray xy = pts.getAsJsonArray().get(i).getAsJsonArray();
                a.add("--point");
                a.add(String.format(Locale.ROOT, "%s,%s,%d", xy.get(0).getAsString(), xy.get(1).getAsString(), labels.get(i)
                        .getAsInt()));
            }
        }
        JsonElement box = cj.get("box_original_xyxy");
        if (box != null && !box.isJsonNull()) {
            JsonArray b = box.getAsJsonArray();
            a.add("--box");
            a.add(b.get(0).getAsString() + "," + b.get(1).getAsString() + "," + b.get(2).getAsString() + "," + b.get(3)
                    .getAsString());
        }
        if (Files.exists(Fixtures.path(fixture, "cases", name, "mask_input.npy"))) {
            a.add("--mask-input");
            a.add(Fixtures.path(fixture, "cases", name, "mask_input.npy").toString());
        }
        boolean mm = cj.has("multimask_output") ? cj.get("multimask_output").getAsBoolean()
                : cj.get("multimask_output_flag_passed").getAsBoolean();
        if (mm) {
            a.add("--multimask");
        }
        a.addAll(List.of(extra));
        return a;
    }

    static void checkOutputs(String fixture, String name, Path out) throws Exception {
        String w = fixture + "/" + name;
        for (String f : List.of("low_res_logits", "masks_logits", "iou_predictions")) {
            TensorData ref = Fixtures.npy(fixture, "cases", name, f + ".npy");
            TensorData got = Npy.read(out.resolve(f + ".npy"));
            long[] rs = ref.shape();
            assertArrayEquals(Arrays.copyOfRange(rs, 1, rs.length), got.shape(), w + " " + f + " shape (C, …)");
            Tolerance.assertClose(w + " " + f, ref.toFloatArray(), got.toFloatArray(), 1e-4, 1e-3);
        }
        // mask.png is the best mask (highest predicted IoU) thresholded at 0, pixel for pixel
        BufferedImage mask = ImageIO.read(out.resolve("mask.png").toFile());
        TensorData logits = Npy.read(out.resolve("masks_logits.npy"));
        float[] iou = Npy.read(out.resolve("iou_predictions.npy")).toFloatArray();
        int best = 0;
        for (int c = 1; c < iou.length; c++) {
            best = iou[c] > iou[best] ? c : best;
        }
        int h = (int) logits.shape()[1];
        int width = (int) logits.shape()[2];
        assertEquals(width, mask.getWidth());
        assertEquals(h, mask.getHeight());
        float[] l = logits.toFloatArray();
        int on = 0;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < width; x++) {
                int v = mask.getRaster().getSample(x, y, 0);
                assertEquals(l[best * h * width + y * width + x] > 0 ? 255 : 0, v, w + " mask.png pixel (" + x + ", " + y + ")");
                on += v == 255 ? 1 : 0;
            }
        }
        assertTrue(on > 0 && on < h * width, w + ": a mask with both foreground and background");
        BufferedImage overlay = ImageIO.read(out.resolve("overlay.png").toFile());
        assertEquals(0, overlay.getWidth() % width, "the overlay is the image enlarged by a whole factor");
        assertEquals(overlay.getWidth() / width, overlay.getHeight() / h);
    }

    @TestFactory
    Stream<DynamicTest> samTinyCases() throws Exception {
        List<DynamicTest> tests = new ArrayList<>();
        for (String fixture : List.of("sam_tiny", "sam_tiny_large")) {
            try (Stream<Path> s = Files.list(Fixtures.path(fixture, "cases"))) {
                s.map(p -> p.getFileName().toString()).sorted()
                        .forEach(name -> tests.add(DynamicTest.dynamicTest(fixture + "/" + name, () -> {
                    Path out = tmp.resolve(fixture + "-" + name);
                    CliRunner.Result r = CliRunner.run(args(fixture, name, out).toArray(String[]::new));
                    assertEquals(0, r.exitCode(), r.err());
                    checkOutputs(fixture, name, out);
                })));
            }
        }
        assertEquals(13, tests.size(), "sam_tiny and sam_tiny_large cases");
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> medsaTinyCasesWithOfficialCodeAdapters() throws Exception {
        List<DynamicTest> tests = new ArrayList<>();
        try (Stream<Path> s = Files.list(Fixtures.path("medsa_tiny", "cases"))) {
            s.map(p -> p.getFileName().toString()).sorted().forEach(name -> tests.add(DynamicTest.dynamicTest(name, () -> {
                Path out = tmp.resolve("medsa-" + name);
                List<String> a = args("medsa_tiny", name, out, "--adapters", "official-code");
                JsonObject cj = Fixtures.json("medsa_tiny", "cases", name, "case.json").getAsJsonObject();
                int n = cj.get("num_multimask_outputs_of_model").getAsInt();
                if (n != 1) {
                    // the same weights in a model built with another number of outputs
                    JsonObject cfg = Fixtures.json("medsa_tiny", "config.json").getAsJsonObject();
                    cfg.getAsJsonObject("mask_decoder").addProperty("num_multimask_outputs", n);
                    Path cfgFile = tmp.resolve("medsa-config-" + n + ".json");
                    Files.writeString(cfgFile, cfg.toString());
                    a.set(a.indexOf("--model") + 1, cfgFile.toString());
                }
                CliRunner.Result r = CliRunner.run(a.toArray(String[]::new));
                assertEquals(0, r.exitCode(), r.err());
                checkOutputs("medsa_tiny", name, out);
            })));
        }
        assertEquals(7, tests.size(), "medsa_tiny cases");
        return tests.stream();
    }

    @Test
    void saveEmbeddingsWritesTheImageEmbedding() throws Exception {
        Path out = tmp.resolve("emb");
        CliRunner.Result r = CliRunner.run(args("sam_tiny", "box_multi", out, "--save-embeddings").toArray(String[]::new));
        assertEquals(0, r.exitCode(), r.err());
        TensorData e = Npy.read(out.resolve("image_embeddings.npy"));
        assertArrayEquals(new long[] {1, 32, 8, 8}, e.shape());
        Tolerance.assertClose("embeddings", Fixtures.floats("sam_tiny", "image_embeddings.npy"), e.toFloatArray(), 1e-4, 1e-3);
        assertFalse(Files.exists(tmp.resolve("sam_tiny-x")));
    }
}
