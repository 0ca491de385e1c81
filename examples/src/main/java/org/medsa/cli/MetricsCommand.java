package org.medsa.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.medsa.core.MedsaException;
import org.medsa.data.image.Image2D;
import org.medsa.data.image.Image2DReader;
import org.medsa.data.nifti.NiftiImage;
import org.medsa.data.nifti.NiftiReader;
import org.medsa.data.volume.LabelVolume;
import org.medsa.train.metrics.LabelMapMetrics;
import org.medsa.train.metrics.MetricsReport;
import org.medsa.train.metrics.SegmentationMetrics;
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

    @Option(names = "--pred-label", paramLabel = "M", description = "With --truth-label: the prediction's label to compare (default: see --truth-label).")
    Integer predLabel;

    @Option(names = "--json", description = "Print one JSON object {\"labels\": {\"<label>\": {\"dice\", \"iou\", \"hd95\"}}}.")
    boolean json;

    @Mixin
    MedsaCli.VerboseOption verbose;

    @Spec
    CommandSpec spec;

    /** A label map read from a file, as a C-order array with its spacing. */
    private record Mask(Path file, boolean nifti, int[] labels, int[] shape, double[] spacing, String fileShape,
            org.medsa.data.volume.Grid grid) {}

    @Override
    public Integer call() {
        if (predLabel != null && truthLabel == null) {
            throw new MedsaException("--pred-label needs --truth-label (the truth's label to compare with)");
        }
        Mask predMask = read(pred);
        Mask truthMask = read(truth);
        checkSameGrid(predMask, truthMask);
        int[] p = predMask.labels();
        int[] t = truthMask.labels();
        if (truthLabel != null) {
            int n = truthLabel;
            int m = predLabel != null ? predLabel : predictedLabelFor(p, n);
            if (!contains(t, n)) {
                throw new MedsaException(truth + ": has no voxel with label " + n + " (--truth-label)");
            }
            p = select(p, m, n);
            t = select(t, n, n);
        }
        LabelMapMetrics metrics = SegmentationMetrics.perLabel(p, t, truthMask.shape(), truthMask.spacing());
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(MetricsReport.json(metrics));
        } else {
            String unit = truthMask.nifti() ? "mm" : "px";
            out.println("prediction: " + pred);
            out.println("truth:      " + truth);
            out.println("grid:       " + truthMask.fileShape() + (truthMask.nifti()
                    ? ", spacing " + join(reversed(truthMask.spacing()), " x ") + " mm" : " pixels"));
            out.print(MetricsReport.table(metrics, unit));
        }
        out.flush();
        return 0;
    }

    /** --pred-label's default: N if the prediction has it, else its only non-zero label. */
    private int predictedLabelFor(int[] labels, int n) {
        java.util.TreeSet<Integer> present = new java.util.TreeSet<>();
        for (int v : labels) {
            if (v != 0) {
                present.add(v);
            }
        }
        if (present.contains(n) || present.isEmpty()) {
            return n;
        }
        if (present.size() == 1) {
            return present.first();
        }
        throw new MedsaException(pred + ": has labels " + present + " but not " + n + "; choose one with --pred-label");
    }

    private static boolean contains(int[] labels, int n) {
        for (int v : labels) {
            if (v == n) {
                return true;
            }
        }
        return false;
    }

    /** {@code out} where the label is {@code keep}, else 0. */
    private static int[] select(int[] labels, int keep, int out) {
        int[] r = new int[labels.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = labels[i] == keep ? out : 0;
        }
        return r;
    }

    private static Mask read(Path file) {
        if (!Files.exists(file)) {
            throw new MedsaException(file + ": file not found");
        }
        if (Files.isDirectory(file)) {
            throw new MedsaException(file + ": is a directory; give a mask file (.nii, .nii.gz, .png, .bmp, .tif)");
        }
        if (NiftiReader.isNiftiName(file)) {
            return readNifti(file);
        }
        if (Image2DReader.isImageName(file)) {
            return readImage(file);
        }
        throw new MedsaException(file + ": unknown mask file type; expected .nii, .nii.gz, .png, .bmp or .tif");
    }

    private static Mask readNifti(Path file) {
        NiftiImage image = NiftiReader.read(file);
        LabelVolume volume = image.toLabelVolume(); // rejects non-integer voxels and several frames, naming the file
        int nx = volume.grid().nx();
        int ny = volume.grid().ny();
        int nz = volume.grid().nz();
        double[] pixdimMm = image.header().spacingMm();
        double sx = pixdimMm.length > 0 ? pixdimMm[0] : 1.0;
        double sy = pixdimMm.length > 1 ? pixdimMm[1] : 1.0;
        double sz = pixdimMm.length > 2 ? pixdimMm[2] : 1.0;
        // NIfTI stores i fastest: that is the C-order array (k, j, i). A single slice is scored as a
        // 2D image, so that its in-plane border is not all surface.
        boolean singleSlice = nz == 1;
        int[] shape = singleSlice ? new int[] {ny, nx} : new int[] {nz, ny, nx};
        double[] spacing = singleSlice ? new double[] {sy, sx} : new double[] {sz, sy, sx};
        for (double s : spacing) {
            if (!(s > 0) || Double.isInfinite(s)) {
                throw new MedsaException(file + ": voxel spacing " + join(reversed(spacing), " x ")
                        + " mm (header pixdim) is not positive, so distances in mm cannot be measured");
            }
        }
        String fileShape = singleSlice ? nx + " x " + ny : nx + " x " + ny + " x " + nz;
        return new Mask(file, true, volume.data(), shape, spacing, fileShape + " voxels (i x j x k)", volume.grid());
    }

    private static Mask readImage(Path file) {
        Image2D image = Image2DReader.read(file);
        if (image.isLossy()) {
            throw new MedsaException(file + ": is a " + image.format()
                    + " image, whose lossy compression alters mask values; save masks as PNG or NIfTI");
        }
        int channels = image.channels();
        boolean colour = image.colorType() == Image2D.ColorType.RGB || image.colorType() == Image2D.ColorType.RGBA;
        if (colour) {
            int[] samples = image.samples();
            for (int p = 0; p < image.height() * image.width(); p++) {
                int r = samples[p * channels];
                if (samples[p * channels + 1] != r || samples[p * channels + 2] != r) {
                    throw new MedsaException(file + ": colour pixel at row " + p / image.width() + ", column "
                            + p % image.width() + " is (" + r + ", " + samples[p * channels + 1] + ", "
                            + samples[p * channels + 2] + "); a label mask must be gray or palette indices");
                }
            }
        }
        int[] shape = {image.height(), image.width()};
        return new Mask(file, false, image.labels(), shape, new double[] {1.0, 1.0},
                image.height() + " x " + image.width() + " (height x width)", null);
    }

    private static void checkSameGrid(Mask pred, Mask truth) {
        if (pred.nifti() != truth.nifti()) {
            throw new MedsaException(pred.file() + ": is " + kind(pred) + " but the truth " + truth.file() + " is "
                    + kind(truth) + "; give both masks in the same format");
        }
        if (!Arrays.equals(pred.shape(), truth.shape())) {
            throw new MedsaException(pred.file() + ": shape " + pred.fileShape() + " differs from the truth's ("
                    + truth.file() + ") " + truth.fileShape());
        }
        for (int axis = 0; axis < pred.spacing().length; axis++) {
            double a = pred.spacing()[axis];
            double b = truth.spacing()[axis];
            if (Math.abs(a - b) > 1e-5 * Math.max(Math.abs(a), Math.abs(b))) {
                throw new MedsaException(pred.file() + ": voxel spacing " + join(reversed(pred.spacing()), " x ")
                        + " mm differs from the truth's (" + truth.file() + ") " + join(reversed(truth.spacing()), " x ")
                        + " mm; resample the prediction onto the truth's grid");
            }
        }
        if (pred.grid() != null && truth.grid() != null) {
            double apart = pred.grid().affine().cornerDistance(truth.grid().affine(), pred.grid().nx(), pred.grid().ny(), pred.grid().nz());
            double halfVoxel = 0.5 * Arrays.stream(truth.spacing()).min().orElse(1);
            if (apart > halfVoxel) {
                throw new MedsaException(pred.file() + String.format(Locale.ROOT, ": its affine places the voxels up to %.3g mm"
                        + " away from the truth's (%s): origin or direction differ; the masks are not on the same grid", apart,
                        truth.file()));
            }
        }
    }

    private static String kind(Mask m) {
        return m.nifti() ? "NIfTI" : "a 2D image";
    }

    /** The spacing in file axis order (i, j, k) from the C-order one. */
    private static double[] reversed(double[] spacing) {
        double[] out = new double[spacing.length];
        for (int axis = 0; axis < spacing.length; axis++) {
            out[axis] = spacing[spacing.length - 1 - axis];
        }
        return out;
    }

    private static String join(double[] values, String separator) {
        return Arrays.stream(values).mapToObj(v -> String.format(Locale.ROOT, "%.6g", v))
                .map(MetricsCommand::trimZeros).collect(Collectors.joining(separator));
    }

    private static String trimZeros(String number) {
        return number.contains(".") && !number.contains("e") ? number.replaceAll("0+$", "").replaceAll("\\.$", "") : number;
    }
}
