package org.medsa.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medsa.adapters.ModelLoader;
import org.medsa.core.modeling.Sam;
import org.medsa.core.modeling.SamConfig;
import org.medsa.core.predictor.Prompt;
import org.medsa.core.predictor.RgbImage;
import org.medsa.core.predictor.SamPrediction;
import org.medsa.core.predictor.SamPredictor;
import org.medsa.core.testing.Fixtures;
import org.medsa.data.dataset.MsdDataset;
import org.medsa.data.dataset.Subset;
import org.medsa.data.nifti.NiftiDatatype;
import org.medsa.data.nifti.NiftiImage;
import org.medsa.data.nifti.NiftiReader;
import org.medsa.data.nifti.NiftiWriter;
import org.medsa.data.phantom.Phantom;
import org.medsa.data.phantom.Rendering;
import org.medsa.data.transforms.Intensity;
import org.medsa.data.transforms.Slicer;
import org.medsa.data.volume.Grid;
import org.medsa.data.volume.ImageVolume;
import org.medsa.data.volume.LabelVolume;
import org.medsa.data.volume.VolumePair;
import org.medsa.inference.Propagation;
import org.medsa.inference.SegmentationInput;
import org.medsa.inference.VolumePrompts;
import org.medsa.inference.VolumeSegmenter;
import org.medsa.metrics.SegmentationMetrics;
import org.medsa.train.eval.Evaluator;
import org.medsa.train.prompts.BoxSampler;
import org.medsa.train.prompts.ClickSampler;

/** train → eval → segment → metrics through the CLI contract, on sam_tiny and a small phantom. */
class WorkflowCommandsTest {

    @TempDir
    static Path tmp;
    static Path data;

    @BeforeAll
    static void phantom() {
        data = Phantom.builder().seed(2).size(32, 24, 8).cases(4).validationCases(1).rendering(Rendering.MR).build()
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
                "--data", data.toString(), "--steps", "2", "--batch", "2", "--seed", "3", "--out", run.toString(), "--devices",
                        "cpu");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(Files.exists(run.resolve("adapters_best.pth")) && Files.exists(run.resolve("checkpoint_latest.pth")));
        assertTrue(Files.readAllLines(run.resolve("metrics.jsonl")).size() >= 2);
        // a second run into the same folder must not overwrite it
        r = CliRunner.run("train", "--model", cfg(), "--checkpoint", base(), "--adapters", "paper",
                "--data", data.toString(), "--steps", "2", "--batch", "2", "--seed", "3", "--out", run.toString(), "--devices",
                        "cpu");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("--resume"), r.err());

        // eval with tight boxes (bbox-1): every row equals Dice / IoU / HD95 computed here from the volume segmenter's
        // masks for the same boxes, with the same model
        Path eval = tmp.resolve("eval");
        Path adapters = run.resolve("adapters_best.pth");
        r = CliRunner.run("eval", "--model", cfg(), "--checkpoint", base(), "--adapter-weights", adapters.toString(),
                "--data", data.toString(), "--prompts", "bbox-1,1-point", "--out", eval.toString(), "--device", "cpu");
        assertEquals(0, r.exitCode(), r.err());
        Map<String, double[]> expected = independentBoxScores(adapters);
        List<String> csv = Files.readAllLines(eval.resolve("results.csv"));
        assertEquals("setting,organ,case,dice,iou,hd95", csv.get(0));
        int boxRows = 0;
        for (String line : csv.subList(1, csv.size())) {
            String[] f = line.split(",", -1);
            if (!f[0].equals("bbox-1")) {
                continue;
            }
            double[] e = expected.get(f[2] + "/" + f[1]);
            assertTrue(e != null, "unexpected row " + line);
            assertEquals(e[0], Double.parseDouble(f[3]), 1e-6, line + " dice");
            assertEquals(e[1], Double.parseDouble(f[4]), 1e-6, line + " iou");
            assertEquals(e[2], f[5].isEmpty() ? Double.NaN : Double.parseDouble(f[5]), 1e-6, line + " hd95");
            boxRows++;
        }
        assertEquals(expected.size(), boxRows, "one row per case and organ present");
        double bestBox = expected.values().stream().mapToDouble(v -> v[0]).max().orElseThrow();
        assertTrue(bestBox > 0, "tight boxes find the organs (rows of Dice 0 would agree too): best Dice " + bestBox);
        // the 1-point rows: the same seeded clicks, decoded one organ at a time by the predictor
        Map<String, Double> clicks = independentClickDice(adapters, 42);
        int clickRows = 0;
        for (String line : csv.subList(1, csv.size())) {
            String[] f = line.split(",", -1);
            if (f[0].equals("1-point")) {
                Double e = clicks.get(f[2] + "/" + f[1]);
                assertTrue(e != null, "unexpected row " + line);
                assertEquals(e, Double.parseDouble(f[3]), 1e-6, line + " dice");
                clickRows++;
            }
        }
        assertEquals(clicks.size(), clickRows, "one 1-point row per case and organ present");
        double bestClick = clicks.values().stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        assertTrue(bestClick > 0, "clicks find something: best Dice " + bestClick);
        System.out.printf(Locale.ROOT, "best Dice: tight box %.4f, one click %.4f%n", bestBox, bestClick);
        JsonObject results = JsonParser.parseString(Files.readString(eval.resolve("results.json"))).getAsJsonObject();
        assertEquals("mm", results.get("units").getAsString());
        Map<String, List<Double>> perOrgan = new TreeMap<>();
        expected.forEach((k, v) -> perOrgan.computeIfAbsent(k.substring(k.indexOf('/') + 1), o -> new ArrayList<>()).add(v[0]));
        double mean = perOrgan.values().stream()
                .mapToDouble(l -> l.stream().mapToDouble(Double::doubleValue).average().orElseThrow())
                .average().orElseThrow();
        assertEquals(mean, results.getAsJsonObject("settings").getAsJsonObject("bbox-1").get("mean_dice").getAsDouble(), 1e-9);
        assertTrue(Files.readString(eval.resolve("results.md")).contains(String.format(Locale.ROOT, "**%.4f**", mean)));

        // segment a volume with a box over two slices and a click: the mask keeps the header and the affine, and its
        // prompted slices are the predictor's masks for the same prompts on the same slice images
        String image = Files.list(data.resolve("imagesTr")).sorted().findFirst().orElseThrow().toString();
        Path mask = tmp.resolve("seg").resolve("mask.nii.gz");
        r = CliRunner.run("segment", "--model", cfg(), "--checkpoint", base(), "--image", image,
                "--box", "5,6,3,25,20,4", "--point", "16,12,3,1", "--out", mask.toString(), "--device", "cpu");
        assertEquals(0, r.exitCode(), r.err());
        NiftiImage in = NiftiReader.read(Path.of(image));
        NiftiImage out = NiftiReader.read(mask);
        assertArrayEquals(in.header().dims(), out.header().dims());
        for (int row = 0; row < 4; row++) {
            assertArrayEquals(in.grid().affine().toRows()[row], out.grid().affine().toRows()[row], 0, "affine row " + row);
        }
        assertEquals(in.header().sformCode(), out.header().sformCode());
        assertEquals(in.header().qformCode(), out.header().qformCode());
        int[] labels = out.toLabelVolume().data();
        Grid g = out.grid();
        try (NDManager m = NDManager.newBaseManager()) {
            Sam sam = ModelLoader.of(SamConfig.load(Path.of(cfg())), Path.of(base())).load(m);
            ImageVolume mr = Intensity.mr().apply(in.toImageVolume());
            try (SamPredictor predictor = new SamPredictor(sam, m)) {
                int[] hw = Slicer.sliceShape(g, 2);
                for (int k = 0; k < g.nz(); k++) {
                    int[] got = Slicer.slice(new LabelVolume(g, labels), 2, k);
                    if (k != 3 && k != 4) {
                        assertEquals(0, Arrays.stream(got).sum(), "slice " + k + " is not prompted");
                        continue;
                    }
                    predictor.setImage(RgbImage.fromGray(Slicer.slice(mr, 2, k), hw[0], hw[1]));
                    Prompt p = new Prompt().box(6, 5, 20, 25); // x = j, y = i on an axial slice
                    if (k == 3) {
                        p.point(12, 16, 1);
                    }
                    SamPrediction pr = predictor.predict(p, false);
                    boolean[] want = pr.mask(0);
                    int on = 0;
                    for (int q = 0; q < want.length; q++) {
                        assertEquals(want[q] ? 1 : 0, got[q], "slice " + k + " pixel " + q);
                        on += got[q];
                    }
                    assertTrue(on > 0, "slice " + k + " has a mask");
                }
            }
        }
        assertTrue(Files.exists(mask.resolveSibling("mask_slice003.png"))
                && Files.exists(mask.resolveSibling("mask_slice004.png")));

        // metrics of a damaged copy of a label file against the original: Dice and IoU by counting
        Path label = Files.list(data.resolve("labelsTr")).sorted().findFirst().orElseThrow();
        LabelVolume truth = NiftiReader.read(label).toLabelVolume();
        int[] damaged = truth.data().clone();
        int removed = 0;
        for (int v = 0; v < damaged.length && removed < 25; v++) {
            if (damaged[v] == 1) {
                damaged[v] = 0;
                removed++;
            }
        }
        long liver = truth.count(1);
        Path pred = tmp.resolve("damaged.nii.gz");
        NiftiWriter.write(NiftiImage.of(new LabelVolume(truth.grid(), damaged), NiftiDatatype.UINT8), pred);
        r = CliRunner.run("metrics", "--pred", pred.toString(), "--truth", label.toString(), "--json");
        assertEquals(0, r.exitCode(), r.err());
        JsonObject labelsJson = JsonParser.parseString(r.out()).getAsJsonObject().getAsJsonObject("labels");
        assertEquals(truth.foregroundLabels().length, labelsJson.size());
        JsonObject l1 = labelsJson.getAsJsonObject("1");
        assertEquals(2.0 * (liver - 25) / (2 * liver - 25), l1.get("dice").getAsDouble(), 1e-12);
        assertEquals((liver - 25.0) / liver, l1.get("iou").getAsDouble(), 1e-12);
        for (String k : labelsJson.keySet()) {
            if (!k.equals("1")) {
                assertEquals(1.0, labelsJson.getAsJsonObject(k).get("dice").getAsDouble(), 0, "label " + k + " is untouched");
            }
        }
        // one label of the truth against a binary prediction
        r = CliRunner.run("metrics", "--pred", pred.toString(), "--truth", label.toString(), "--truth-label", "2",
                "--pred-label", "2",
                "--json");
        assertEquals(0, r.exitCode(), r.err());
        JsonObject only = JsonParser.parseString(r.out()).getAsJsonObject().getAsJsonObject("labels");
        assertEquals(List.of("2"), List.copyOf(only.keySet()));
        assertEquals(1.0, only.getAsJsonObject("2").get("dice").getAsDouble(), 0);
        // and a prediction of another shape is refused
        Path small = tmp.resolve("small.nii.gz");
        NiftiWriter.write(NiftiImage.of(new LabelVolume(new Grid(4, 4, 4, truth.grid().affine()), new int[64]),
                NiftiDatatype.UINT8), small);
        r = CliRunner.run("metrics", "--pred", small.toString(), "--truth", label.toString());
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("differs from the truth's"), r.err());
    }

    @Test
    void segmentPropagateEqualsTheVolumeSegmentersPropagation() throws Exception {
        String image = Files.list(data.resolve("imagesTr")).sorted().findFirst().orElseThrow().toString();
        Path mask = tmp.resolve("prop").resolve("mask.nii.gz");
        CliRunner.Result r = CliRunner.run("segment", "--model", cfg(), "--checkpoint", base(), "--image", image,
                "--box", "5,6,4,25,20,4", "--propagate", "--propagate-max", "2", "--out", mask.toString(), "--device", "cpu");
        assertEquals(0, r.exitCode(), r.err());
        int[] want;
        try (NDManager m = NDManager.newBaseManager()) {
            Sam sam = ModelLoader.of(SamConfig.load(Path.of(cfg())), Path.of(base())).load(m);
            try (VolumeSegmenter vs = new VolumeSegmenter(sam, m)) {
                want = vs.segment(SegmentationInput.read(Path.of(image)), new VolumePrompts().box(5, 6, 4, 25, 20, 4),
                        VolumeSegmenter.Options.builder().propagate(Propagation.Direction.BOTH, 2).build()).labels().data();
            }
        }
        assertArrayEquals(want, NiftiReader.read(mask).toLabelVolume().data());
        r = CliRunner.run("segment", "--model", cfg(), "--checkpoint", base(), "--image", image, "--box", "5,6,4,25,20,4",
                "--propagate-max", "2", "--out", mask.toString(), "--device", "cpu");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("--propagate-max applies with --propagate"), r.err());
        r = CliRunner.run("segment", "--model", cfg(), "--checkpoint", base(), "--image", image, "--box", "5,6,4,25,20,4",
                "--propagate", "sideways", "--out", mask.toString(), "--device", "cpu");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("direction must be both, up or down"), r.err());
    }

    /**
     * Per "case/organ": Dice, IoU, HD95 (mm) of the volume segmenter's masks for the tight box of
     * the organ on every slice that holds it, for the validation cases.
     */
    /**
     * The 1-point Dice per case and organ as the evaluator defines it (docs/training.md): on each
     * slice, the engine seeded for (seed, case, slice), the settings' draws in their order (here the
     * bbox-1 boxes, then one random positive click per organ present), then each organ's click
     * decoded on its own by the predictor with SAM's three masks, the best by predicted IoU.
     */
    private static Map<String, Double> independentClickDice(Path adapters, long seed) throws Exception {
        Map<String, Double> out = new TreeMap<>();
        MsdDataset val = MsdDataset.slices(data).optSubset(Subset.VALIDATION).build();
        try (NDManager m = NDManager.newBaseManager()) {
            Sam sam = ModelLoader.of(SamConfig.load(Path.of(cfg())), Path.of(base())).adapterWeights(adapters).load(m);
            try (SamPredictor predictor = new SamPredictor(sam, m)) {
                for (String caseId : val.caseIds()) {
                    VolumePair v = val.preparedCase(caseId).volumes();
                    Grid g = v.grid();
                    int[] hw = Slicer.sliceShape(g, 2);
                    int plane = hw[0] * hw[1];
                    List<Integer> present = new ArrayList<>();
                    for (int label : v.label().foregroundLabels()) {
                        if (val.organs().containsKey(label)) {
                            present.add(label);
                        }
                    }
                    Map<Integer, boolean[]> predicted = new TreeMap<>();
                    for (int k = 0; k < g.nz(); k++) {
                        int[] lab = Slicer.slice(v.label(), 2, k);
                        List<Integer> here = present.stream().filter(o -> Arrays.stream(lab).anyMatch(x -> x == o)).toList();
                        if (here.isEmpty()) {
                            continue;
                        }
                        float[] targets = new float[here.size() * plane];
                        for (int o = 0; o < here.size(); o++) {
                            for (int q = 0; q < plane; q++) {
                                targets[o * plane + q] = lab[q] == here.get(o) ? 1 : 0;
                            }
                        }
                        float[] points;
                        try (NDManager scope = m.newSubManager()) {
                            NDArray truth = scope.create(targets, new Shape(here.size(), hw[0], hw[1]));
                            Evaluator.reseed(seed, caseId, k);
                            BoxSampler.boxesAtIou(truth, 1.0, BoxSampler.BOX_CANDIDATES);
                            points = ClickSampler.randomPositiveClicks(truth, 1).points().toFloatArray();
                        }
                        predictor.setImage(RgbImage.fromGray(Slicer.slice(v.image(), 2, k), hw[0], hw[1]));
                        for (int o = 0; o < here.size(); o++) {
                            SamPrediction r = predictor.predict(new Prompt().point(points[2 * o], points[2 * o + 1], 1), true);
                            boolean[] mask = r.mask(r.best());
                            boolean[] vol = predicted.computeIfAbsent(here.get(o), x -> new boolean[g.voxelCount()]);
                            for (int q = 0; q < plane; q++) {
                                // axial slice k: rows i, columns j
                                vol[g.index(q / hw[1], q % hw[1], k)] |= mask[q];
                            }
                        }
                    }
                    for (int organ : present) {
                        boolean[] t = new boolean[g.voxelCount()];
                        for (int q = 0; q < t.length; q++) {
                            t[q] = v.label().data()[q] == organ;
                        }
                        out.put(caseId + "/" + val.organs().get(organ), SegmentationMetrics.dice(predicted.getOrDefault(organ,
                                new boolean[t.length]), t));
                    }
                }
            }
        }
        return out;
    }

    private static Map<String, double[]> independentBoxScores(Path adapters) throws Exception {
        Map<String, double[]> out = new TreeMap<>();
        MsdDataset val = MsdDataset.slices(data).optSubset(Subset.VALIDATION).build();
        try (NDManager m = NDManager.newBaseManager()) {
            Sam sam = ModelLoader.of(SamConfig.load(Path.of(cfg())), Path.of(base())).adapterWeights(adapters).load(m);
            try (VolumeSegmenter segmenter = new VolumeSegmenter(sam, m)) {
                for (int c = 0; c < val.caseIds().size(); c++) {
                    String caseId = val.caseIds().get(c);
                    SegmentationInput input = SegmentationInput.read(val.cases().get(c).image());
                    LabelVolume truth = NiftiReader.read(val.cases().get(c).label()).toLabelVolume();
                    Grid g = truth.grid();
                    for (Map.Entry<Integer, String> organ : val.organs().entrySet()) {
                        VolumePrompts boxes = new VolumePrompts();
                        int boxed = 0;
                        for (int k = 0; k < g.nz(); k++) {
                            int i0 = Integer.MAX_VALUE, j0 = Integer.MAX_VALUE, i1 = -1, j1 = -1;
                            for (int j = 0; j < g.ny(); j++) {
                                for (int i = 0; i < g.nx(); i++) {
                                    if (truth.get(i, j, k) == organ.getKey()) {
                                        i0 = Math.min(i0, i);
                                        i1 = Math.max(i1, i);
                                        j0 = Math.min(j0, j);
                                        j1 = Math.max(j1, j);
                                    }
                                }
                            }
                            if (i1 >= 0) {
                                boxes.box(i0, j0, k, i1, j1, k);
                                boxed++;
                            }
                        }
                        if (boxed == 0) {
                            continue;
                        }
                        int[] pred = segmenter.segment(input, boxes, VolumeSegmenter.Options.builder().intensity(Intensity.mr())
                                .build())
                                .labels().data();
                        boolean[] p = new boolean[pred.length];
                        boolean[] t = new boolean[pred.length];
                        for (int v = 0; v < pred.length; v++) {
                            p[v] = pred[v] == 1;
                            t[v] = truth.data()[v] == organ.getKey();
                        }
                        double[] sp = g.spacing();
                        out.put(caseId + "/" + organ.getValue(),
                                new double[] {SegmentationMetrics.dice(p, t), SegmentationMetrics.iou(p, t),
                            SegmentationMetrics.hd95(p, t, new int[] {g.nz(), g.ny(), g.nx()},
                                    new double[] {sp[2], sp[1], sp[0]})});
                    }
                }
            }
        }
        return out;
    }

    @Test
    void resumeContinuesAndParamsReportsCounts() throws Exception {
        Path run = tmp.resolve("resume");
        String[] base = {"train", "--model", cfg(), "--checkpoint", base(), "--adapters", "paper", "--data", data.toString(),
            "--steps", "2", "--batch", "2", "--out", run.toString(), "--devices", "cpu"};
        assertEquals(0, CliRunner.run(base).exitCode());
        String[] more = base.clone();
        more[Arrays.asList(more).indexOf("--steps") + 1] = "3";
        String[] withResume = Arrays.copyOf(more, more.length + 1);
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
