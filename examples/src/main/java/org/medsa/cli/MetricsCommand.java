package org.medsa.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.medsa.core.MedsaException;
import org.medsa.metrics.LabelMapMetrics;
import org.medsa.metrics.MaskFile;
import org.medsa.metrics.MetricsReport;
import org.medsa.metrics.SegmentationMetrics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code medsa metrics --pred <mask> --truth <mask> [--json]}: Dice, IoU and HD95 for every
 * non-zero label of the truth. The metrics themselves are {@link SegmentationMetrics}'s; this
 * command only reads the two files and checks that they describe the same grid.
 */
@Command(
        name = "metrics",
        mixinStandardHelpOptions = true,
        description = {
            "Compare a predicted label mask with the ground truth: Dice, IoU and HD95 for every",
            "non-zero label of the truth (labels found only in the prediction are listed, not scored).",
            "NIfTI (.nii, .nii.gz): distances in mm from the header's voxel spacing. PNG, BMP, TIFF:",
            "distances in pixels. HD95 follows MONAI (max of the two directed 95th percentiles of",
            "surface distances) and is null when the label is missing from the prediction.",
            "Both files must have the same format and grid (shape, spacing, origin and direction).",
            "--truth-label picks one structure of a multi-label truth (an atlas)."
        })
public final class MetricsCommand implements Callable<Integer> {

    @Option(names = "--pred", required = true, paramLabel = "FILE", description = "The predicted label mask.")
    Path pred;

    @Option(names = "--truth", required = true, paramLabel = "FILE", description = "The ground-truth label mask.")
    Path truth;

    @Option(names = "--truth-label", paramLabel = "N",
            description = "Score only this label of the truth (e.g. one region of an atlas); the prediction's label is"
                    + " --pred-label, else N if the prediction has it, else its only non-zero label.")
    Integer truthLabel;

    @Option(names = "--pred-label", paramLabel = "M",
            description = "With --truth-label: the prediction's label to compare (default: see --truth-label).")
    Integer predLabel;

    @Option(names = "--json", description = "Print one JSON object {\"labels\": {\"<label>\": {\"dice\", \"iou\", \"hd95\"}}}.")
    boolean json;

    @Mixin
    MedsaCli.VerboseOption verbose;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (predLabel != null && truthLabel == null) {
            throw new MedsaException("--pred-label needs --truth-label (the truth's label to compare with)");
        }
        MaskFile predMask = MaskFile.read(pred);
        MaskFile truthMask = MaskFile.read(truth);
        LabelMapMetrics metrics = truthLabel == null ? MaskFile.score(predMask, truthMask)
                : MaskFile.score(predMask, truthMask, truthLabel, predLabel);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(MetricsReport.json(metrics));
        } else {
            String unit = truthMask.nifti() ? "mm" : "px";
            out.println("prediction: " + pred);
            out.println("truth:      " + truth);
            out.println("grid:       " + truthMask.fileShape() + (truthMask.nifti()
                    ? ", spacing " + MaskFile.spacingText(truthMask) + " mm" : " pixels"));
            out.print(MetricsReport.table(metrics, unit));
        }
        out.flush();
        return 0;
    }
}
