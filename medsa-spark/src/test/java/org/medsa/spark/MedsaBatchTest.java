package org.medsa.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medsa.adapters.ModelLoader;
import org.medsa.core.modeling.Sam;
import org.medsa.core.modeling.SamConfig;
import org.medsa.core.testing.Fixtures;
import org.medsa.data.nifti.NiftiDatatype;
import org.medsa.data.nifti.NiftiImage;
import org.medsa.data.nifti.NiftiReader;
import org.medsa.data.nifti.NiftiWriter;
import org.medsa.data.phantom.Phantom;
import org.medsa.data.phantom.Rendering;
import org.medsa.data.volume.Grid;
import org.medsa.data.volume.ImageVolume;
import org.medsa.data.volume.LabelVolume;
import org.medsa.data.volume.VolumePair;
import org.medsa.inference.SegmentationInput;
import org.medsa.inference.VolumePrompts;
import org.medsa.inference.VolumeSegmenter;
import org.medsa.metrics.SegmentationMetrics;

/**
 * The batch job on embedded local[2] Spark with the tiny fixture model on a phantom cohort: each
 * row's mask equals VolumeSegmenter on the same image and prompt (built here independently),
 * metrics equal those computed here, bad rows become error rows while the others finish, a second
 * run skips finished rows and writes the same table, a run killed mid-way and run again ends with
 * the same table and no partial files, and the model is loaded once per JVM.
 */
class MedsaBatchTest {

    @TempDir
    static Path tmp;
    static SparkSession spark;
    static Path data;
    static Map<String, VolumePair> cohort = new HashMap<>();

    static SparkSession session() {
        return SparkSession.builder().master("local[2]").appName("medsa-batch-test").config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
                .config("spark.sql.shuffle.partitions", "2").getOrCreate();
    }

    static BatchOptions.Builder options(Path out) {
        return BatchOptions.builder()
                .model(Fixtures.path("sam_tiny", "config.json").toString(), Fixtures.path("sam_tiny", "state_dict.pth"))
                .out(out);
    }

    static Path writeVolume(Path f, ImageVolume v) {
        NiftiWriter.write(NiftiImage.of(v, NiftiDatatype.FLOAT32), f);
        return f;
    }

    static Path writeLabels(Path f, LabelVolume l) {
        NiftiWriter.write(NiftiImage.of(l, NiftiDatatype.UINT8), f);
        return f;
    }

    @BeforeAll
    static void cohort() throws Exception {
        data = Files.createDirectories(tmp.resolve("cohort"));
        Phantom p = Phantom.builder().seed(4).size(32, 24, 8).cases(4).validationCases(1).rendering(Rendering.MR).build();
        for (int i = 0; i < 4; i++) {
            VolumePair v = p.generate(i).volumes();
            cohort.put("c" + i, v);
            writeVolume(data.resolve("c" + i + ".nii.gz"), v.image());
            writeLabels(data.resolve("c" + i + "_truth.nii.gz"), v.label());
        }
        Files.write(data.resolve("corrupt.nii.gz"), new byte[] {31, -117, 8, 0, 1, 2, 3});
        BufferedImage img = new BufferedImage(40, 30, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 30; y++) {
            for (int x = 0; x < 40; x++) {
                int g = (x - 18) * (x - 18) + (y - 14) * (y - 14) < 60 ? 230 : 40;
                img.setRGB(x, y, g << 16 | g << 8 | g);
            }
        }
        ImageIO.write(img, "png", data.resolve("photo.png").toFile());
        spark = session();
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    static Path manifest(String name, List<String> rows) throws Exception {
        Path m = tmp.resolve(name);
        Files.writeString(m, "id,image,box,points,truth,labels\n" + String.join("\n", rows) + "\n");
        return m;
    }

    static String f(String n) {
        return data.resolve(n).toString();
    }

    static List<String> rows() {
        return List.of(
                "c0," + f("c0.nii.gz") + ",,," + f("c0_truth.nii.gz") + ",\"1,2\"",
                "c1," + f("c1.nii.gz") + ",\"5,4,3,20,15,5\",," + f("c1_truth.nii.gz") + ",",
                "c2,file://" + f("c2.nii.gz") + ",,\"10,8,4,1;3,3,4,0\",,",
                "c3," + f("c3.nii.gz") + ",,," + f("c3_truth.nii.gz") + ",",
                "bad_corrupt," + f("corrupt.nii.gz") + ",\"1,1,1,5,5,5\",,,",
                "bad_missing," + f("missing.nii.gz") + ",\"1,1,1,5,5,5\",,,",
                "bad_outside," + f("c0.nii.gz") + ",\"0,0,0,99,99,99\",,,",
                "img2d," + f("photo.png") + ",\"5,5,30,20\",,,",
                "c1," + f("c1.nii.gz") + ",\"1,1,1,2,2,2\",,,");
    }

    /** Tight boxes per slice of each label, computed here. */
    static VolumePrompts truthBoxes(LabelVolume t, int... labels) {
        VolumePrompts p = new VolumePrompts();
        Grid g = t.grid();
        for (int label : labels) {
            for (int k = 0; k < g.nz(); k++) {
                int i0 = 99, j0 = 99, i1 = -1, j1 = -1;
                for (int j = 0; j < g.ny(); j++) {
                    for (int i = 0; i < g.nx(); i++) {
                        if (t.get(i, j, k) == label) {
                            i0 = Math.min(i0, i);
                            j0 = Math.min(j0, j);
                            i1 = Math.max(i1, i);
                            j1 = Math.max(j1, j);
                        }
                    }
                }
                if (i1 >= 0) {
                    p.box(label, i0, j0, k, i1, j1, k);
                }
            }
        }
        return p;
    }

    static Map<String, String> table(Path csv) throws Exception {
        Map<String, String> m = new HashMap<>();
        List<String> lines = Files.readAllLines(csv);
        for (String l : lines.subList(1, lines.size())) {
            m.merge(l.substring(0, l.indexOf(',')), l, (a, b) -> a + "\n" + b);
        }
        return m;
    }

    /** The table without the seconds column (what a re-computation may change). */
    static List<String> withoutSeconds(Path csv) throws Exception {
        List<String> out = new ArrayList<>();
        for (String l : Files.readAllLines(csv)) {
            String[] c = l.split(",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)", -1);
            List<String> keep = new ArrayList<>(List.of(c));
            keep.remove(3);
            out.add(String.join(",", keep));
        }
        return out;
    }

    @Test
    void aCohortRunSkipsFinishedRowsAndSurvivesAKill() throws Exception {
        Path m = manifest("cohort.csv", rows());
        Path out = tmp.resolve("out");
        int loadsBefore = MedsaBatch.modelLoadsInThisJvm();
        MedsaBatch.Summary s = MedsaBatch.run(spark, m, options(out).build());
        assertEquals(loadsBefore + 1, MedsaBatch.modelLoadsInThisJvm(), "one model load in this JVM for all partitions");
        assertEquals(9, s.rows());
        assertEquals(5, s.ok());
        Map<String, String> t = table(out.resolve("results.csv"));
        assertTrue(t.get("bad_corrupt").contains("corrupt.nii.gz"), t.get("bad_corrupt"));
        assertTrue(t.get("bad_missing").contains("missing.nii.gz") && t.get("bad_missing").contains("no such"),
                t.get("bad_missing"));
        assertTrue(t.get("bad_outside").contains("prompt outside the image"), t.get("bad_outside"));
        assertTrue(t.get("c1").contains("duplicate id 'c1'"), t.get("c1"));
        assertEquals(List.of("id", "status", "mask", "seconds", "dice_1", "iou_1", "hd95_1", "dice_2", "iou_2", "hd95_2",
                "dice_3", "iou_3",
                "hd95_3", "dice_4", "iou_4", "hd95_4"),
                        List.of(Files.readAllLines(out.resolve("results.csv")).get(0).split(",")));

        // every mask equals VolumeSegmenter on the same image and prompt
        Map<String, VolumePrompts> prompts = new HashMap<>();
        prompts.put("c0", truthBoxes(cohort.get("c0").label(), 1, 2));
        prompts.put("c1", new VolumePrompts().box(5, 4, 3, 20, 15, 5));
        prompts.put("c2", new VolumePrompts().point(10, 8, 4, true).point(3, 3, 4, false));
        prompts.put("c3", truthBoxes(cohort.get("c3").label(), 1, 2, 3, 4));
        try (NDManager nd = NDManager.newBaseManager()) {
            Sam sam = ModelLoader.of(SamConfig.load(Fixtures.path("sam_tiny", "config.json")),
                    Fixtures.path("sam_tiny", "state_dict.pth"))
                    .load(nd);
            try (VolumeSegmenter vs = new VolumeSegmenter(sam, nd)) {
                for (Map.Entry<String, VolumePrompts> e : prompts.entrySet()) {
                    int[] want = vs.segment(SegmentationInput.read(data.resolve(e.getKey() + ".nii.gz")), e.getValue(),
                            VolumeSegmenter.Options.defaults()).labels().data();
                    NiftiImage got = NiftiReader.read(out.resolve("masks/" + e.getKey() + ".nii.gz"));
                    assertArrayEquals(want, got.toLabelVolume().data(), e.getKey());
                    // not two empty masks: the prompted structure is there, and where the prompts
                    // come from the truth it overlaps the truth
                    assertTrue(Arrays.stream(want).filter(v -> v != 0).count() > 20, e.getKey() + " mask is not empty");
                    if (e.getKey().equals("c0") || e.getKey().equals("c3")) {
                        int[] truth = cohort.get(e.getKey()).label().data();
                        boolean[] p = new boolean[want.length];
                        boolean[] q = new boolean[want.length];
                        for (int v = 0; v < want.length; v++) {
                            p[v] = want[v] == 1;
                            q[v] = truth[v] == 1;
                        }
                        assertTrue(SegmentationMetrics.dice(p, q) > 0, e.getKey() + " Dice of label 1: "
                                + SegmentationMetrics.dice(p, q));
                    }
                    assertTrue(got.grid().matches(cohort.get(e.getKey()).image().grid(), 1e-6), e.getKey() + " geometry");
                }
                int[] want2d = vs.segment(SegmentationInput.read(data.resolve("photo.png")), new VolumePrompts()
                        .box(5, 5, 0, 30, 20, 0),
                        VolumeSegmenter.Options.defaults()).labels().data();
                assertTrue(Arrays.stream(want2d).filter(v -> v != 0).count() > 20, "the 2D mask is not empty");
                BufferedImage got2d = ImageIO.read(out.resolve("masks/img2d.png").toFile());
                for (int q = 0; q < want2d.length; q++) {
                    assertEquals(want2d[q] == 1 ? 255 : 0, got2d.getRaster().getSample(q % 40, q / 40, 0), "img2d pixel " + q);
                }
            }
        }
        // metrics of c3 (all four labels) computed here from the arrays
        int[] pred = NiftiReader.read(out.resolve("masks/c3.nii.gz")).toLabelVolume().data();
        int[] truth = cohort.get("c3").label().data();
        String[] cells = t.get("c3").split(",", -1);
        for (int label = 1; label <= 4; label++) {
            boolean[] p = new boolean[pred.length];
            boolean[] q = new boolean[pred.length];
            for (int v = 0; v < pred.length; v++) {
                p[v] = pred[v] == label;
                q[v] = truth[v] == label;
            }
            Grid g = cohort.get("c3").label().grid();
            double[] sp = g.spacing();
            double hd = SegmentationMetrics.hd95(p, q, new int[] {g.nz(), g.ny(), g.nx()}, new double[] {sp[2], sp[1], sp[0]});
            assertEquals(SegmentationMetrics.dice(p, q), Double.parseDouble(cells[4 + 3 * (label - 1)]), 1e-5, "dice " + label);
            assertEquals(SegmentationMetrics.iou(p, q), Double.parseDouble(cells[5 + 3 * (label - 1)]), 1e-5, "iou " + label);
            String h = cells[6 + 3 * (label - 1)];
            if (Double.isNaN(hd)) {
                assertEquals("", h);
            } else {
                assertEquals(hd, Double.parseDouble(h), 1e-4 * Math.max(1, hd), "hd95 " + label);
            }
        }
        List<Row> parquet = spark.read().parquet(out.resolve("results.parquet").toString()).sort("id", "status").collectAsList();
        assertEquals(9, parquet.size());
        assertEquals("bad_corrupt", parquet.get(0).getString(0));

        // a second run skips finished rows: same table, outputs untouched
        byte[] csv1 = Files.readAllBytes(out.resolve("results.csv"));
        long maskTime = Files.getLastModifiedTime(out.resolve("masks/c0.nii.gz")).toMillis();
        byte[] mask1 = Files.readAllBytes(out.resolve("masks/c0.nii.gz"));
        Thread.sleep(20);
        MedsaBatch.run(spark, m, options(out).build());
        assertEquals(new String(csv1), Files.readString(out.resolve("results.csv")));
        assertEquals(maskTime, Files.getLastModifiedTime(out.resolve("masks/c0.nii.gz")).toMillis());
        assertEquals(loadsBefore + 1, MedsaBatch.modelLoadsInThisJvm());
        // a retry (or --overwrite) computes the same mask again, byte for byte
        MedsaBatch.run(spark, m, options(out).overwrite(true).build());
        assertArrayEquals(mask1, Files.readAllBytes(out.resolve("masks/c0.nii.gz")));
        Path first = Files.write(tmp.resolve("first-run.csv"), csv1);
        assertEquals(withoutSeconds(first), withoutSeconds(out.resolve("results.csv")), "the recomputed table equals the first");

        // a run killed mid-way, then run again: the same table and no partial files
        List<String> many = new ArrayList<>();
        for (int r = 0; r < 24; r++) {
            int c = r % 4;
            many.add("k" + r + "," + f("c" + c + ".nii.gz") + ",,," + f("c" + c + "_truth.nii.gz") + ",");
        }
        Path big = manifest("big.csv", many);
        Path killedOut = tmp.resolve("killed");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(List.of(System.getProperty("medsa.spark.jvm.options", "").split(" ")));
        cmd.removeIf(String::isBlank);
        cmd.addAll(List.of("-Xmx2g", "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
                BatchMain.class.getName(),
                big.toString(), killedOut.toString()));
        Process child = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve("child.log").toFile())
                .start();
        long deadline = System.currentTimeMillis() + 120_000;
        while (System.currentTimeMillis() < deadline && child.isAlive() && count(killedOut.resolve("rows")) < 3) {
            Thread.sleep(5);
        }
        assertTrue(child.isAlive(), "the child finished before it could be killed: "
                + Files.readString(tmp.resolve("child.log")));
        child.destroyForcibly().waitFor();
        long doneBeforeKill = count(killedOut.resolve("rows"));
        assertTrue(doneBeforeKill >= 3 && doneBeforeKill < 24, "rows done before the kill: " + doneBeforeKill);
        assertFalse(Files.exists(killedOut.resolve("results.csv")));
        MedsaBatch.Summary again = MedsaBatch.run(spark, big, options(killedOut).build());
        assertEquals(24, again.ok());
        Path cleanOut = tmp.resolve("clean");
        MedsaBatch.run(spark, big, options(cleanOut).build());
        assertEquals(withoutSeconds(cleanOut.resolve("results.csv")), withoutSeconds(killedOut.resolve("results.csv")));
        for (String sub : new String[] {"masks", "rows"}) {
            try (Stream<Path> st = Files.list(killedOut.resolve(sub))) {
                List<String> leftovers = st.map(q -> q.getFileName().toString())
                        .filter(n -> n.startsWith(".") || n.endsWith(".tmp")).toList();
                assertEquals(List.of(), leftovers, "no partial files in " + sub);
            }
            for (int r = 0; r < 24; r++) {
                if (sub.equals("masks")) {
                    assertArrayEquals(Files.readAllBytes(cleanOut.resolve("masks/k" + r + ".nii.gz")),
                            Files.readAllBytes(killedOut.resolve("masks/k" + r + ".nii.gz")), "k" + r);
                }
            }
        }
    }

    static long count(Path dir) throws Exception {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(q -> q.getFileName().toString().endsWith(".json")).count();
        }
    }
}
