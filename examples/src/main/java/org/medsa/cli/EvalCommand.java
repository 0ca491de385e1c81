package org.medsa.cli;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.medsa.core.Diagnostics;
import org.medsa.core.MedsaException;
import org.medsa.core.modeling.PromptableModel;
import org.medsa.data.dataset.Datasets;
import org.medsa.data.dataset.ImageMaskFolderDataset;
import org.medsa.data.dataset.MsdDataset;
import org.medsa.data.dataset.Subset;
import org.medsa.train.eval.EvalReport;
import org.medsa.train.eval.Evaluator;
import org.medsa.train.eval.PromptSetting;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code medsa eval}: per-organ Dice / IoU / HD95 under prompt settings. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Evaluate a model per organ (Dice, IoU, HD95) under prompt settings; writes results.md/.csv/.json.")
public final class EvalCommand implements Callable<Integer> {

    @Mixin ModelOptions modelOptions;
    @Option(names = "--data", required = true, paramLabel = "<dir>",
            description = "An MSD-layout folder (per organ and volume, HD95 in mm) or a folder with images/ and masks/ (per "
                    + "image, px).")
    Path data;
    @Option(names = "--prompts", defaultValue = "1-point,3-points,bbox-0.5,bbox-0.75", paramLabel = "<settings>",
            description = "Comma-separated prompt settings (default ${DEFAULT-VALUE}): k-points (k random clicks), bbox-t (a box"
                    + " of IoU t with the organ's tight box; bbox-1 is the tight box), clicks-N (one click then N-1 corrective "
                            + "clicks), 3d-1-point (MSD volumes: one click per organ at the centre of its largest"
                            + " cross-section on its middle slice, propagated both ways; SAM 2 tracks with memory). SAM 2"
                            + " models take every setting; per slice they segment without memory.")
    String prompts;
    @Option(names = "--split", defaultValue = "validation", paramLabel = "<validation|training|all>",
            description = "Which cases to evaluate (default ${DEFAULT-VALUE}: dataset.json's validation list, else the seeded "
                    + "split).")
    String split;
    @Option(names = "--seed", defaultValue = "42", paramLabel = "N",
            description = "Seed of the split and of the sampled prompts (default ${DEFAULT-VALUE}; training validation uses its "
                    + "--seed).")
    long seed;
    @Option(names = "--out", required = true, paramLabel = "<dir>",
            description = "Folder for results.md, results.csv, results.json.")
    Path out;
    @Option(names = "--verbose", description = "Print stack traces of errors.") boolean verbose;

    @Override
    public Integer call() throws Exception {
        List<PromptSetting> settings = PromptSetting.parseList(prompts);
        Subset subset = Subset.parse(split, "--split");
        Datasets.Layout layout = Datasets.layout(data);
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new MedsaException(out + ": --out must be a folder");
        }
        // the data first: a bad file is reported before the model is loaded
        MsdDataset msd = null;
        ImageMaskFolderDataset folder = null;
        if (layout == Datasets.Layout.MSD) {
            msd = MsdDataset.slices(data).optSubset(subset).optSeed(seed).setSampling(1, false).build();
            if (msd.size() == 0) {
                throw new MedsaException(data + ": nothing to evaluate: no organ of " + msd.organs().values()
                        + " occurs in the labels of the " + subset + " cases");
            }
        } else {
            folder = ImageMaskFolderDataset.builder(data).optSubset(subset).optSeed(seed).setSampling(1, false).build();
            if (folder.size() == 0) {
                throw new MedsaException(data + ": nothing to evaluate: no " + subset + " images");
            }
        }
        try (NDManager manager = NDManager.newBaseManager(modelOptions.device())) {
            PromptableModel model = modelOptions.loadAny(manager);
            Evaluator ev = new Evaluator(model, manager, seed, Diagnostics.stderr());
            EvalReport report;
            if (msd != null) {
                System.err.printf("evaluating %d cases (%s) under %s%n", msd.caseIds().size(), subset, prompts);
                report = ev.evaluate(msd, settings);
            } else {
                System.err.printf("evaluating %d images (%s) under %s%n", folder.size(), subset, prompts);
                report = ev.evaluate(folder, settings);
            }
            Map<String, Path> files = report.write(out);
            System.out.print(report.markdown());
            System.out.println("wrote " + files.values());
        }
        return 0;
    }
}
