package org.medsa.demo;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.medsa.core.Diagnostics;
import org.medsa.core.io.AtomicFiles;
import org.medsa.core.modeling.sam2.Sam2Config;
import org.medsa.core.modeling.sam2.Sam2Model;
import org.medsa.data.dataset.MsdDataset;
import org.medsa.data.dataset.Subset;
import org.medsa.data.phantom.Phantom;
import org.medsa.data.transforms.Intensity;
import org.medsa.data.volume.LabelVolume;
import org.medsa.data.volume.OrganClicks;
import org.medsa.data.volume.VolumePair;
import org.medsa.inference.VolumeSegmenter;
import org.medsa.metrics.SegmentationMetrics;
import org.medsa.train.FineTuning;
import org.medsa.train.eval.EvalReport;
import org.medsa.train.eval.Evaluator;
import org.medsa.train.eval.PromptSetting;
import org.medsa.train.training.TrainConfig;
import org.medsa.train.training.Trainer;
import org.medsa.train.training.TrainingData;

/**
 * SAM 2 in miniature, the library call behind {@code medsa demo --family sam2}: the small SAM 2
 * this library pre-trained on CT-like phantoms ({@link DemoModels#extractSam2}) segments every
 * organ of held-out phantom volumes in 3D from one click. For each organ the click is {@link
 * OrganClicks#centre} on the slices along the last axis; the model segments that slice and tracks
 * the organ with its memory up and down through the volume ({@link VolumeSegmenter}, propagation
 * {@code both}). It scores the whole 3D organ (Dice, IoU, HD95) on the CT-like volumes the base
 * never saw and on MR-like ones (the rendering it was not trained for). Then it adapts the model to
 * the MR-like phantoms the way this library exists for — Med-SA's adapters in the frozen SAM 2,
 * trained on chunks of slices tracked with memory ({@link FineTuning}) — and evaluates the held-out
 * MR-like volumes under {@code 3d-1-point} and the paper's four per-slice settings before and
 * after. It writes {@code summary.md}, {@code
 * before/}, {@code after/} and the training run ({@code run/}) into its output folder.
 *
 * <pre>{@code
 * Sam2Demo.Result r = new Sam2Demo(Path.of("demo-sam2")).run();
 * System.out.print(r.summary());
 * }</pre>
 */
public final class Sam2Demo {

    /** One organ of one volume tracked from one click: the click {i, j, k} and the 3D scores. */
    public record Score(String rendering, String caseId, String organ, int label, int[] click, double dice, double iou,
            double hd95) {}

    /**
     * What the demo produced: every organ's score with the base model, the MR-like evaluation before
     * and after the adaptation ({@code 3d-1-point} and the paper's per-slice settings; null with no
     * adaptation steps), the training outcome, and the summary (markdown).
     */
    public record Result(List<Score> scores, EvalReport before, EvalReport after, Trainer.Result training, String summary) {

        /** Mean Dice over the scores of one rendering ("CT-like" or "MR-like"). */
        public double meanDice(String rendering) {
            return scores.stream().filter(s -> s.rendering().equals(rendering)).mapToDouble(Score::dice).average()
                    .orElse(Double.NaN);
        }
    }

    /** The renderings the demo tracks: the one the base was trained on, and the other. */
    public static final String CT = "CT-like";
    /** See {@link #CT}. */
    public static final String MR = "MR-like";

    private final Path out;
    private int casesPerRendering = 4;
    private int adaptSteps = 1000;
    private Device device = Device.cpu();
    private Diagnostics console = Diagnostics.stderr();

    /** A demo writing into {@code out}. */
    public Sam2Demo(Path out) {
        this.out = out;
    }

    /** Held-out volumes per rendering (1..4, default 4: all of them). */
    public Sam2Demo cases(int n) {
        this.casesPerRendering = Math.max(1, Math.min(4, n));
        return this;
    }

    /** Adapter training steps on the MR-like phantoms (default 1000; 0: no adaptation). */
    public Sam2Demo adaptSteps(int n) {
        this.adaptSteps = Math.max(0, n);
        return this;
    }

    /** Where the model computes (default CPU). */
    public Sam2Demo device(Device d) {
        this.device = d;
        return this;
    }

    /** Where progress goes (default standard error). */
    public Sam2Demo console(Diagnostics c) {
        this.console = c;
        return this;
    }

    /** Runs the demo. */
    public Result run() throws IOException {
        long t0 = System.nanoTime();
        Files.createDirectories(out);
        DemoModels.Base base = DemoModels.extractSam2(out.resolve("base"));
        List<Score> scores = new ArrayList<>();
        Sam2Config config = Sam2Config.load(base.config());
        try (NDManager manager = NDManager.newBaseManager(device);
                VolumeSegmenter segmenter = new VolumeSegmenter(Sam2Model.load(config, base.checkpoint(), manager), manager)) {
            Map<String, Phantom> sets = new LinkedHashMap<>();
            sets.put(CT, DemoModels.ctPhantoms());
            sets.put(MR, DemoModels.mrPhantoms());
            for (Map.Entry<String, Phantom> set : sets.entrySet()) {
                Phantom p = set.getValue();
                int firstHeldOut = p.caseCount() - p.validationCaseCount();
                for (int c = firstHeldOut; c < firstHeldOut + casesPerRendering; c++) {
                    Phantom.PhantomCase pc = p.generate(c);
                    console.note(String.format(Locale.ROOT, "tracking the organs of %s %s from one click each ...", set.getKey(),
                            pc.caseId()));
                    scores.addAll(track(segmenter, pc.volumes(), set.getKey(), pc.caseId()));
                }
            }
        }
        FineTuning.Result adapted = adaptSteps == 0 ? null : adapt(base, config);
        String summary = summary(scores, config, adapted, (System.nanoTime() - t0) / 1e9);
        AtomicFiles.writeString(out.resolve("summary.md"), summary);
        return new Result(scores, adapted == null ? null : adapted.before(), adapted == null ? null : adapted.after(),
                adapted == null ? null : adapted.training(), summary);
    }

    /**
     * The recipe of the adaptation: chunks of 4 slices, 2 per step, SAM 2.1's loss, a click or a box
     * on the first slice showing the organ then one corrective click, AdamW at 3e-3 with warm-up,
     * adapters of the demo's widths ({@link DemoModels#paperAdapters}).
     */
    private FineTuning.Result adapt(DemoModels.Base base, Sam2Config config) throws IOException {
        Path data = out.resolve("data").resolve("phantom-mr");
        if (!Files.exists(data.resolve("dataset.json"))) {
            console.note("writing the MR-like phantom dataset to " + data + " ...");
            DemoModels.mrPhantoms().writeMsd(data);
        }
        long seed = 42;
        TrainConfig cfg = TrainConfig.sam2().steps(adaptSteps).batch(2).lr(3e-3).seed(seed)
                .validateEvery(Math.max(25, adaptSteps / 4)).checkpointEvery(adaptSteps).build();
        MsdDataset evalSet = MsdDataset.slices(data).optSubset(Subset.VALIDATION).optSeed(seed).setSampling(1, false).build();
        MsdDataset train = MsdDataset.chunks(data, CHUNK).optSubset(Subset.TRAINING).optSeed(seed).build();
        MsdDataset val = MsdDataset.chunks(data, CHUNK).optSubset(Subset.VALIDATION).optSeed(seed).build();
        Path runDir = out.resolve("run");
        AtomicFiles.deleteTree(runDir);
        boolean[] first = {true};
        List<PromptSetting> settings = new ArrayList<>(List.of(PromptSetting.parse(PromptSetting.VOLUME_ONE_POINT_ID)));
        settings.addAll(PromptSetting.paper());
        FineTuning.Result r = new FineTuning(config, base.checkpoint(), DemoModels.paperAdapters(), false, cfg, runDir)
                .settings(settings).device(device).console(console).reports(out.resolve("before"), out.resolve("after"))
                .run(TrainingData.of(train), TrainingData.of(val), (evaluator, scored) -> {
                    console.note(first[0] ? "adapting to MR-like phantoms: [1/3] evaluating the base (3d-1-point and"
                            + " the paper's per-slice settings)" : "[3/3] evaluating the adapted model");
                    EvalReport report = evaluator.evaluate(evalSet, scored);
                    if (first[0]) {
                        console.note("[2/3] training the adapters only (" + adaptSteps + " steps, chunks of " + CHUNK
                                + " slices, 2 per step)");
                    }
                    first[0] = false;
                    return report;
                });
        console.note(String.format(Locale.ROOT, "best validation Dice (3d-1-point) %.4f at step %d", r.training().bestDice(),
                r.training().bestStep()));
        return r;
    }

    /** Slices per training chunk of the adaptation. */
    static final int CHUNK = 4;

    /** Each organ of one volume from one click, propagated both ways along the last axis (evaluation's {@code 3d-1-point}). */
    static List<Score> track(VolumeSegmenter segmenter, VolumePair volumes, String rendering, String caseId) {
        int axis = 2;
        LabelVolume truth = volumes.label();
        int[] shape = truth.grid().shape();
        double[] spacing = truth.grid().spacing();
        List<Integer> organs = new ArrayList<>(Phantom.labelNames().keySet());
        organs.remove(Integer.valueOf(0));
        Map<Integer, boolean[]> masks = Evaluator.oneClickPerOrgan(segmenter, volumes, axis, organs, Intensity.auto());
        List<Score> scores = new ArrayList<>();
        for (Map.Entry<Integer, boolean[]> e : masks.entrySet()) {
            int label = e.getKey();
            boolean[] pred = e.getValue();
            boolean[] ref = new boolean[pred.length];
            for (int v = 0; v < ref.length; v++) {
                ref[v] = truth.data()[v] == label;
            }
            int[] click = OrganClicks.centre(truth, label, axis);
            scores.add(new Score(rendering, caseId, Phantom.labelNames().get(label), label, click,
                    SegmentationMetrics.dice(pred, ref), SegmentationMetrics.iou(pred, ref),
                    SegmentationMetrics.hd95(pred, ref, shape, spacing)));
        }
        return scores;
    }

    private static String summary(List<Score> scores, Sam2Config config, FineTuning.Result adapted, double seconds) {
        StringBuilder sb = new StringBuilder();
        sb.append("# SAM 2 demo: one click per organ, tracked through held-out phantom volumes\n\n");
        sb.append(String.format(Locale.ROOT, "Model: a SAM 2 of %d px input pre-trained on CT-like phantoms. Each organ: one"
                + " positive click at the centre of its largest cross-section on its middle slice, then memory propagation"
                + " up and down the volume; scores of the whole 3D organ (HD95 in mm), mean over the held-out volumes.%n%n",
                config.imageSize));
        sb.append("| organ | CT-like Dice | CT-like IoU | CT-like HD95 | MR-like Dice | MR-like IoU | MR-like HD95 |\n");
        sb.append("|---|---:|---:|---:|---:|---:|---:|\n");
        Map<String, double[][]> byOrgan = new LinkedHashMap<>();
        for (Score s : scores) {
            double[][] acc = byOrgan.computeIfAbsent(s.organ(), k -> new double[2][5]);
            double[] a = acc[s.rendering().equals(CT) ? 0 : 1];
            a[0] += s.dice();
            a[1] += s.iou();
            if (Double.isFinite(s.hd95())) {
                a[2] += s.hd95();
                a[3]++;
            }
            a[4]++;
        }
        double[][] total = new double[2][2];
        for (Map.Entry<String, double[][]> e : byOrgan.entrySet()) {
            sb.append("| ").append(e.getKey());
            for (int r = 0; r < 2; r++) {
                double[] a = e.getValue()[r];
                sb.append(a[4] == 0 ? " | - | - | -" : String.format(Locale.ROOT, " | %.4f | %.4f | %s", a[0] / a[4],
                        a[1] / a[4], a[3] == 0 ? "-" : String.format(Locale.ROOT, "%.2f", a[2] / a[3])));
                total[r][0] += a[0];
                total[r][1] += a[4];
            }
            sb.append(" |\n");
        }
        sb.append(String.format(Locale.ROOT, "| **mean** | **%.4f** | | | **%.4f** | | |%n", total[0][0] / total[0][1],
                total[1][0] / total[1][1]));
        if (adapted != null) {
            sb.append("\n## Adapted to MR-like phantoms (Med-SA adapters in the frozen SAM 2)\n\n");
            sb.append("3d-1-point on the held-out MR-like volumes (their MSD preparation), before and after training the"
                    + " adapters only.\n\n");
            sb.append("| organ | before Dice | after Dice | before HD95 | after HD95 |\n|---|---:|---:|---:|---:|\n");
            String id = PromptSetting.VOLUME_ONE_POINT_ID;
            for (String organ : adapted.before().organs()) {
                EvalReport.Summary b = adapted.before().summary(id, organ);
                EvalReport.Summary a = adapted.after().summary(id, organ);
                sb.append(String.format(Locale.ROOT, "| %s | %.4f | %.4f | %.2f | %.2f |%n", organ, b.dice(), a.dice(), b.hd95(),
                        a.hd95()));
            }
            sb.append(String.format(Locale.ROOT, "| **mean** | **%.4f** | **%.4f** | | |%n", adapted.before().meanDice(id),
                    adapted.after().meanDice(id)));
            sb.append("\nMean Dice per setting (the paper's settings prompt every slice that holds the organ, without"
                    + " memory):\n\n| setting | before | after |\n|---|---:|---:|\n");
            for (String setting : adapted.before().settings()) {
                sb.append(String.format(Locale.ROOT, "| %s | %.4f | %.4f |%n", setting, adapted.before().meanDice(setting),
                        adapted.after().meanDice(setting)));
            }
            sb.append(String.format(Locale.ROOT, "%nTraining: %d steps, best validation Dice %.4f at step %d.%n",
                    adapted.training().steps(), adapted.training().bestDice(), adapted.training().bestStep()));
        }
        sb.append(String.format(Locale.ROOT, "%nTotal time %.0f s.%n", seconds));
        return sb.toString();
    }
}
