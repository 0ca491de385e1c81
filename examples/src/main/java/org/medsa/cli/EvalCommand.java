package org.medsa.cli;

import ai.djl.ndarray.NDManager;
import org.medsa.core.modeling.Sam;
import org.medsa.data.dataset.ImageMaskFolderDataset;
import org.medsa.data.dataset.MsdDataset;
import org.medsa.data.dataset.Subset;
import org.medsa.train.eval.EvalReport;
import org.medsa.train.eval.Evaluator;
import org.medsa.train.eval.PromptSetting;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code medsa eval}: per-organ Dice / IoU / HD95 under prompt settings. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Evaluate a model per organ (Dice, IoU, HD95) under prompt settings; writes results.md/.csv/.json.")
public final class EvalCommand implements Callable<Integer> {

    @Mixin ModelOptions modelOptions;
    @Option(names = "--data", required = true, paramLabel = "<dir>") Path data;
    @Option(names = "--prompts", defaultValue = "1-point,3-points,bbox-0.5,bbox-0.75",
            paramLabel = "<settings>", description = "Comma-separated: 1-point, 3-points, bbox-0.5, bbox-0.75, k-points, bbox-t, clicks-N.")
    String prompts;
    @Option(names = "--split", defaultValue = "validation", paramLabel = "<validation|training|all>") String split;
    @Option(names = "--seed", defaultValue = "42", paramLabel = "N") long seed;
    @Option(names = "--out", required = true, paramLabel = "<dir>") Path out;
    @Option(names = "--verbose") boolean verbose;

    @Override
    public Integer call() throws Exception {
        List<PromptSetting> settings = PromptSetting.parseList(prompts);
        Subset subset = switch (split) {
            case "validation" -> Subset.VALIDATION;
            case "training" -> Subset.TRAINING;
            case "all" -> Subset.ALL;
            default -> throw new org.medsa.core.MedsaException("--split must be validation, training or all, got '" + split + "'");
        };
        DataOptions.check(data);
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw new org.medsa.core.MedsaException(out + ": --out must be a folder");
        }
        try (NDManager manager = NDManager.newBaseManager(modelOptions.device())) {
            Sam sam = modelOptions.load(manager);
            Evaluator ev = new Evaluator(sam, seed, System.err);
            EvalReport report;
            if (DataOptions.isMsd(data)) {
                MsdDataset ds = MsdDataset.slices(data).optSubset(subset).optSeed(seed).setSampling(1, false).build();
                System.err.printf("evaluating %d cases (%s) under %s%n", ds.caseIds().size(), split, prompts);
                report = ev.evaluate(ds, settings);
            } else {
                ImageMaskFolderDataset ds = ImageMaskFolderDataset.builder(data).optSubset(subset).optSeed(seed).setSampling(1, false).build();
                System.err.printf("evaluating %d images (%s) under %s%n", ds.size(), split, prompts);
                report = ev.evaluate(ds, settings);
            }
            Map<String, Path> files = report.write(out);
            System.out.print(report.markdown());
            System.out.println("wrote " + files.values());
        }
        return 0;
    }
}
