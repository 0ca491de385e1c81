package org.medsa.demo;

import ai.djl.Device;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.medsa.adapters.MedsaModel;
import org.medsa.adapters.ParameterCounts;
import org.medsa.core.Diagnostics;
import org.medsa.core.io.AtomicFiles;
import org.medsa.core.modeling.Sam;
import org.medsa.core.modeling.SamConfig;
import org.medsa.core.predictor.Prompt;
import org.medsa.core.predictor.RgbImage;
import org.medsa.core.predictor.SamPrediction;
import org.medsa.core.predictor.SamPredictor;
import org.medsa.core.viz.Overlay;
import org.medsa.data.dataset.MsdDataset;
import org.medsa.data.dataset.Subset;
import org.medsa.data.transforms.SamplePipeline;
import org.medsa.data.transforms.Slicer;
import org.medsa.data.volume.SliceMasks;
import org.medsa.data.volume.VolumePair;
import org.medsa.train.FineTuning;
import org.medsa.train.eval.EvalReport;
import org.medsa.train.eval.Evaluator;
import org.medsa.train.eval.PromptSetting;
import org.medsa.train.training.TrainConfig;
import org.medsa.train.training.Trainer;
import org.medsa.train.training.TrainingData;

/**
 * Med-SA in miniature, the library call behind {@code medsa demo}: the small SAM this library
 * pre-trained on phantoms rendered like CT ({@link DemoModels}) meets the same anatomy rendered
 * like MR, where the organs' contrast order differs. The demo evaluates it there under the paper's
 * four prompt settings, trains only the adapters (paper preset) for a few minutes, evaluates again,
 * and writes into its output folder: {@code summary.md}, {@code before/} and {@code after/} (the
 * tables), {@code overlays/} (before and after, side by side), {@code run/} (the training run),
 * {@code base/} and {@code data/}.
 *
 * <pre>{@code
 * Demo.Result r = new Demo(Path.of("demo-out")).steps(400).run();
 * System.out.print(r.summary());
 * }</pre>
 */
public final class Demo {

    /** What the demo produced. */
    public record Result(EvalReport before, EvalReport after, Trainer.Result training, String summary, Path overlays) {}

    private final Path out;
    private int steps = 400;
    private long seed = 42;
    private Diagnostics console = Diagnostics.stderr();

    /** A demo writing into {@code out}. */
    public Demo(Path out) {
        this.out = out;
    }

    /** Adapter training steps (default 400). */
    public Demo steps(int n) {
        this.steps = n;
        return this;
    }

    /** Seed of the split, the adapters' training and the prompts (default 42). */
    public Demo seed(long s) {
        this.seed = s;
        return this;
    }

    /** Where progress goes (default standard error). */
    public Demo console(Diagnostics c) {
        this.console = c;
        return this;
    }

    /** Runs the demo; a run folder left by an earlier demo is started afresh. */
    public Result run() throws IOException {
        long t0 = System.nanoTime();
        TrainConfig cfg = TrainConfig.builder("paper").steps(steps).batch(16).lr(3e-3).seed(seed)
                .validateEvery(Math.max(50, steps / 4))
                .validationSamples(160).checkpointEvery(steps).build();
        Files.createDirectories(out);
        DemoModels.Base base = DemoModels.extractBase(out.resolve("base"));
        Path data = out.resolve("data").resolve("phantom-mr");
        if (!Files.exists(data.resolve("dataset.json"))) {
            console.note("writing the MR-like phantom dataset to " + data + " ...");
            DemoModels.mrPhantoms().writeMsd(data);
        }
        MsdDataset evalSet = MsdDataset.slices(data).optSubset(Subset.VALIDATION).optSeed(seed).setSampling(1, false).build();
        MsdDataset trainSet = MsdDataset.slices(data).optSubset(Subset.TRAINING).optSeed(seed)
                .optAugmentation(SamplePipeline.btcvAugmentation()).setSampling(cfg.batch(), false).build();
        MsdDataset valSet = MsdDataset.slices(data).optSubset(Subset.VALIDATION).optSeed(seed).setSampling(cfg.batch(), false)
                .build();
        Path runDir = out.resolve("run");
        AtomicFiles.deleteTree(runDir);
        List<int[]> picks = overlaySlices(evalSet);
        List<Map<String, BufferedImage>> pictures = new ArrayList<>();
        ParameterCounts[] counts = new ParameterCounts[1];
        List<PromptSetting> settings = PromptSetting.paper();
        FineTuning.Result r = new FineTuning(SamConfig.load(base.config()), base.checkpoint(), DemoModels.paperAdapters(), cfg,
                runDir)
                .device(Device.cpu()).console(console).settings(settings).reports(out.resolve("before"), out.resolve("after"))
                .run(TrainingData.of(trainSet), TrainingData.of(valSet), (evaluator, s) -> {
                    boolean before = pictures.isEmpty();
                    if (before) {
                        counts[0] = ParameterCounts.of((MedsaModel) evaluator.model());
                        console.note("[1/3] evaluating the CT-trained model on MR-like phantoms (" + evalSet.caseIds().size()
                                + " held-out volumes)");
                    } else {
                        console.note("[3/3] evaluating the adapted model");
                    }
                    EvalReport report = evaluator.evaluate(evalSet, s);
                    pictures.add(pictures(evaluator, evalSet, picks));
                    if (before) {
                        console.note("[2/3] training the adapters only (" + steps + " steps, batch " + cfg.batch() + ")");
                    }
                    return report;
                });
        console.note(String.format(Locale.ROOT, "best validation Dice %.4f at step %d", r.training().bestDice(),
                r.training().bestStep()));
        Path overlays = out.resolve("overlays");
        for (String k : pictures.get(0).keySet()) {
            Overlay.writePng(sideBySide(pictures.get(0).get(k), pictures.get(1).get(k)), overlays.resolve(k + ".png"));
        }
        String summary = summary(r.before(), r.after(), settings, (System.nanoTime() - t0) / 1e9, counts[0], steps);
        AtomicFiles.writeString(out.resolve("summary.md"), summary);
        return new Result(r.before(), r.after(), r.training(), summary, overlays);
    }

    private static String summary(EvalReport before, EvalReport after, List<PromptSetting> settings, double seconds,
            ParameterCounts counts, int steps) {
        StringBuilder sb = new StringBuilder();
        sb.append("# Med-SA demo: CT-trained SAM adapted to MR-like phantoms\n\n");
        sb.append(String.format(Locale.ROOT, "Base: a SAM of %,d parameters pre-trained on CT-like phantoms (frozen). Adapters"
                + " (paper preset): %,d trainable parameters (%.1f%%), trained for %d steps on MR-like phantoms."
                + " Evaluation: 4 held-out MR-like volumes, per organ in 3D.%n%n",
                counts.total() - counts.trainable(), counts.trainable(), 100.0 * counts.trainable() / counts.total(), steps));
        sb.append("## Before (base model, adapters at zero)\n\n").append(before.markdown());
        sb.append("\n## After (adapters trained)\n\n").append(after.markdown());
        sb.append("\n## Mean Dice over organs\n\n| setting | before | after | change |\n|---|---:|---:|---:|\n");
        for (PromptSetting s : settings) {
            double b = before.meanDice(s.id());
            double a = after.meanDice(s.id());
            sb.append(String.format(Locale.ROOT, "| %s | %.4f | %.4f | %+.4f |%n", s.id(), b, a, a - b));
        }
        sb.append(String.format(Locale.ROOT, "%nTotal time %.0f s.%n", seconds));
        return sb.toString();
    }

    /** A few (case, slice) pairs of the evaluation set: the middle and a third of the first two cases. */
    private static List<int[]> overlaySlices(MsdDataset ds) {
        List<int[]> picks = new ArrayList<>();
        List<String> ids = ds.caseIds();
        for (int c = 0; c < Math.min(2, ids.size()); c++) {
            VolumePair v = ds.preparedCase(ids.get(c)).volumes();
            int n = v.grid().size(ds.axis());
            picks.add(new int[] {c, n / 2});
            picks.add(new int[] {c, n / 3});
        }
        return picks;
    }

    /** For each pick, the slice with every organ segmented from one click at its central pixel. */
    private static Map<String, BufferedImage> pictures(Evaluator evaluator, MsdDataset ds, List<int[]> picks) {
        Map<String, BufferedImage> out = new LinkedHashMap<>();
        Sam model = (Sam) evaluator.model();
        try (SamPredictor predictor = new SamPredictor(model, evaluator.manager())) {
            for (int[] p : picks) {
                String caseId = ds.caseIds().get(p[0]);
                VolumePair v = ds.preparedCase(caseId).volumes();
                int[] hw = Slicer.sliceShape(v.grid(), ds.axis());
                float[] img = Slicer.slice(v.image(), ds.axis(), p[1]);
                int[] lab = Slicer.slice(v.label(), ds.axis(), p[1]);
                RgbImage image = RgbImage.fromGray(img, hw[0], hw[1]);
                predictor.setImage(image);
                boolean[] predicted = new boolean[img.length];
                boolean[] truth = new boolean[img.length];
                Prompt all = new Prompt();
                for (int organ : ds.organs().keySet()) {
                    for (int i = 0; i < lab.length; i++) {
                        truth[i] |= lab[i] == organ;
                    }
                    int click = SliceMasks.centralPixel(i -> lab[i] == organ, hw[0], hw[1], 4);
                    if (click < 0) {
                        continue;
                    }
                    all.point(click % hw[1], click / hw[1], 1);
                    SamPrediction r = predictor.predict(new Prompt().point(click % hw[1], click / hw[1], 1), true);
                    boolean[] m = r.mask(r.best());
                    for (int i = 0; i < m.length; i++) {
                        predicted[i] |= m[i];
                    }
                }
                out.put(String.format(Locale.ROOT, "%s_slice%02d", caseId, p[1]),
                        Overlay.scale(Overlay.render(image, predicted, truth, all), 4));
            }
        }
        return out;
    }

    private static BufferedImage sideBySide(BufferedImage a, BufferedImage b) {
        BufferedImage img = new BufferedImage(a.getWidth() + b.getWidth() + 8, Math.max(a.getHeight(), b.getHeight()),
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.drawImage(a, 0, 0, null);
        g.drawImage(b, a.getWidth() + 8, 0, null);
        g.dispose();
        return img;
    }
}
