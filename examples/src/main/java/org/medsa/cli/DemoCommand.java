package org.medsa.cli;

import org.medsa.core.Seeds;
import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import org.medsa.adapters.MedsaCheckpoints;
import org.medsa.adapters.MedsaConfig;
import org.medsa.adapters.MedsaModel;
import org.medsa.adapters.ParameterCounts;
import org.medsa.core.MedsaException;
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
import org.medsa.data.volume.VolumePair;
import org.medsa.train.eval.EvalReport;
import org.medsa.train.eval.Evaluator;
import org.medsa.train.eval.PromptSetting;
import org.medsa.demo.DemoModels;
import org.medsa.train.training.TrainConfig;
import org.medsa.train.training.Trainable;
import org.medsa.train.training.Trainer;
import org.medsa.train.training.TrainingData;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code medsa demo}: Med-SA in miniature. A small SAM that this library pre-trained on phantoms
 * rendered like CT (shipped as a resource; {@code docs/demo.md} gives the command that made it)
 * meets the same anatomy rendered like MR, where the organs' contrast order differs. The demo
 * evaluates it there under the paper's four prompt settings, trains only the adapters (paper
 * preset) for a few minutes, evaluates again, and writes overlay PNGs.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Adapt a small CT-trained SAM to MR-like phantoms with Med-SA adapters, and show the before/after table.")
public final class DemoCommand implements Callable<Integer> {

    @Option(names = "--out", defaultValue = "demo-out", paramLabel = "<dir>", description = "Output folder (default ${DEFAULT-VALUE}).")
    Path out;
    @Option(names = "--steps", defaultValue = "400", paramLabel = "N", description = "Adapter training steps (default ${DEFAULT-VALUE}).")
    int steps;
    @Option(names = "--seed", defaultValue = "42", paramLabel = "N",
            description = "Seed of the split, the adapters' training and the prompts (default ${DEFAULT-VALUE}).")
    long seed;
    @Option(names = "--verbose", description = "Print stack traces of errors.") boolean verbose;

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        Seeds.seedEngine(seed);
        Files.createDirectories(out);
        DemoModels.Base demoBase = DemoModels.extractBase(out.resolve("base"));
        Path base = demoBase.checkpoint();
        Path config = demoBase.config();
        Path data = out.resolve("data").resolve("phantom-mr");
        if (!Files.exists(data.resolve("dataset.json"))) {
            System.err.println("writing the MR-like phantom dataset to " + data + " ...");
            DemoModels.mrPhantoms().writeMsd(data);
        }
        SamConfig samConfig = SamConfig.load(config);
        MedsaConfig mc = DemoModels.paperAdapters();
        List<PromptSetting> settings = PromptSetting.parseList(String.join(",", PromptSetting.PAPER));
        MsdDataset evalSet = MsdDataset.slices(data).optSubset(Subset.VALIDATION).optSeed(seed).setSampling(1, false).build();
        TrainConfig cfg = TrainConfig.forPreset("paper");
        cfg.steps = steps;
        cfg.batch = 16;
        cfg.lr = 3e-3;
        cfg.seed = seed;
        cfg.validateEvery = Math.max(50, steps / 4);
        cfg.validationSamples = 160;
        cfg.checkpointEvery = steps;
        MsdDataset trainSet = MsdDataset.slices(data).optSubset(Subset.TRAINING).optSeed(seed)
                .optAugmentation(SamplePipeline.btcvAugmentation()).setSampling(cfg.batch, false).build();
        MsdDataset valSet = MsdDataset.slices(data).optSubset(Subset.VALIDATION).optSeed(seed)
                .setSampling(cfg.batch, false).build();
        Path runDir = out.resolve("run");
        deleteRun(runDir);
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            MedsaModel model = new MedsaModel(samConfig, mc);
            MedsaCheckpoints.loadBase(model, base, manager);
            ParameterCounts counts = ParameterCounts.of(model);
            System.err.printf(Locale.ROOT, "base: SAM pre-trained on CT-like phantoms (%s, %,d parameters); adapters: %,d trainable (%.1f%%)%n",
                    base.getFileName(), counts.total() - counts.trainable(), counts.trainable(), 100.0 * counts.trainable() / counts.total());

            System.err.println("[1/3] evaluating the CT-trained model on MR-like phantoms (" + evalSet.caseIds().size() + " held-out volumes)");
            EvalReport before = new Evaluator(model, seed, System.err).evaluate(evalSet, settings);
            before.write(out.resolve("before"));
            List<int[]> picks = overlaySlices(evalSet);
            Map<String, BufferedImage> beforePics = pictures(model, manager, evalSet, picks);

            System.err.println("[2/3] training the adapters only (" + steps + " steps, batch " + cfg.batch + ")");
            try (Trainer t = new Trainer(Trainable.adapters(model, base), TrainingData.of(trainSet), TrainingData.of(valSet), cfg,
                    runDir, List.of(Device.cpu()), System.err)) {
                Trainer.Result r = t.run(false);
                MedsaCheckpoints.loadAdapters(model, r.best(), base, manager, false);
                System.err.printf(Locale.ROOT, "best validation Dice %.4f at step %d%n", r.bestDice(), r.bestStep());
            }

            System.err.println("[3/3] evaluating the adapted model");
            EvalReport after = new Evaluator(model, seed, System.err).evaluate(evalSet, settings);
            after.write(out.resolve("after"));
            Map<String, BufferedImage> afterPics = pictures(model, manager, evalSet, picks);
            Path pics = out.resolve("overlays");
            for (String k : beforePics.keySet()) {
                Overlay.writePng(sideBySide(beforePics.get(k), afterPics.get(k)), pics.resolve(k + ".png"));
            }

            String summary = summary(before, after, settings, (System.nanoTime() - t0) / 1e9, counts, steps);
            org.medsa.core.io.AtomicFiles.writeString(out.resolve("summary.md"), summary);
            System.out.print(summary);
            System.out.println("overlays (left: before, right: after; yellow = truth, blue = prediction): " + pics);
        }
        return 0;
    }

    private static void deleteRun(Path runDir) throws IOException {
        if (Files.isDirectory(runDir)) {
            try (var s = Files.list(runDir)) {
                for (Path p : s.toList()) {
                    Files.delete(p);
                }
            }
        }
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

    /** A few (case, slice, organ) triples of the evaluation set with sizeable organs. */
    private static List<int[]> overlaySlices(MsdDataset ds) {
        List<int[]> picks = new java.util.ArrayList<>();
        List<String> ids = ds.caseIds();
        for (int c = 0; c < Math.min(2, ids.size()); c++) {
            VolumePair v = ds.preparedCase(ids.get(c)).volumes();
            int n = v.grid().size(ds.axis());
            picks.add(new int[] {c, n / 2});
            picks.add(new int[] {c, n / 3});
        }
        return picks;
    }

    /** For each pick, the slice with every organ segmented from one click (1-point setting). */
    private static Map<String, BufferedImage> pictures(Sam model, NDManager manager, MsdDataset ds, List<int[]> picks) {
        Map<String, BufferedImage> out = new java.util.LinkedHashMap<>();
        try (SamPredictor predictor = new SamPredictor(model, manager)) {
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
                    int count = 0;
                    double sx = 0;
                    double sy = 0;
                    int bestIdx = -1;
                    for (int i = 0; i < lab.length; i++) {
                        if (lab[i] == organ) {
                            count++;
                            sx += i % hw[1];
                            sy += i / hw[1];
                            truth[i] = true;
                        }
                    }
                    if (count < 4) {
                        continue;
                    }
                    // the organ pixel nearest its centroid, a deterministic click
                    double cx = sx / count;
                    double cy = sy / count;
                    double bestD = Double.MAX_VALUE;
                    for (int i = 0; i < lab.length; i++) {
                        if (lab[i] == organ) {
                            double d = Math.pow(i % hw[1] - cx, 2) + Math.pow(i / hw[1] - cy, 2);
                            if (d < bestD) {
                                bestD = d;
                                bestIdx = i;
                            }
                        }
                    }
                    Prompt one = new Prompt().point(bestIdx % hw[1], bestIdx / hw[1], 1);
                    all.point(bestIdx % hw[1], bestIdx / hw[1], 1);
                    SamPrediction r = predictor.predict(one, true);
                    boolean[] m = r.mask(r.best());
                    for (int i = 0; i < m.length; i++) {
                        predicted[i] |= m[i];
                    }
                }
                out.put(String.format(Locale.ROOT, "%s_slice%02d", caseId, p[1]), Overlay.scale(Overlay.render(image, predicted, truth, all), 4));
            }
        }
        return out;
    }

    private static BufferedImage sideBySide(BufferedImage a, BufferedImage b) {
        BufferedImage img = new BufferedImage(a.getWidth() + b.getWidth() + 8, Math.max(a.getHeight(), b.getHeight()), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(java.awt.Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.drawImage(a, 0, 0, null);
        g.drawImage(b, a.getWidth() + 8, 0, null);
        g.dispose();
        return img;
    }
}
