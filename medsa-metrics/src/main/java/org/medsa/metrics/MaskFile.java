package org.medsa.metrics;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.medsa.core.MedsaException;
import org.medsa.data.image.Image2D;
import org.medsa.data.image.Image2DReader;
import org.medsa.data.nifti.NiftiImage;
import org.medsa.data.volume.Grid;
import org.medsa.data.volume.LabelVolume;
import org.medsa.data.volume.VolumeFiles;

/**
 * A label mask read from a file for scoring, as {@code medsa metrics} and the batch job read it:
 * NIfTI as the C-order array (k, j, i) with its spacing in mm (a single slice as a 2D image, so its
 * in-plane border is not all surface), or a lossless 2D image (PNG, BMP, TIFF) in pixels.
 *
 * @param file the file
 * @param nifti true for NIfTI, false for a 2D image
 * @param labels the labels, C order
 * @param shape the C-order shape
 * @param spacing the C-order spacing (mm for NIfTI, 1 for images)
 * @param fileShape the shape as the file gives it, for messages
 * @param grid the NIfTI grid (null for images)
 */
public record MaskFile(Path file, boolean nifti, int[] labels, int[] shape, double[] spacing, String fileShape, Grid grid) {

    /**
     * Dice, IoU and HD95 of every non-zero truth label: {@code medsa metrics}' numbers.
     *
     * @throws MedsaException if the two masks are not on the same grid
     */
    public static LabelMapMetrics score(MaskFile pred, MaskFile truth) {
        checkSameGrid(pred, truth);
        return SegmentationMetrics.perLabel(pred.labels(), truth.labels(), truth.shape(), truth.spacing());
    }

    /**
     * Dice, IoU and HD95 of one structure: label {@code truthLabel} of the truth (e.g. one region of
     * an atlas) against label {@code predLabel} of the prediction, reported under {@code truthLabel}.
     *
     * @param predLabel the prediction's label; null: {@code truthLabel} if the prediction has it,
     *     else its only non-zero label
     * @throws MedsaException if the masks are not on the same grid, the truth lacks the label, or
     *     the prediction's label cannot be chosen
     */
    public static LabelMapMetrics score(MaskFile pred, MaskFile truth, int truthLabel, Integer predLabel) {
        checkSameGrid(pred, truth);
        if (!contains(truth.labels(), truthLabel)) {
            throw new MedsaException(truth.file() + ": has no voxel with label " + truthLabel);
        }
        int m = predLabel != null ? predLabel : predictedLabelFor(pred, truthLabel);
        return SegmentationMetrics.perLabel(select(pred.labels(), m, truthLabel), select(truth.labels(), truthLabel, truthLabel),
                truth.shape(), truth.spacing());
    }

    /** The prediction's label for a truth label: the same if present (or nothing is), else its only non-zero label. */
    private static int predictedLabelFor(MaskFile pred, int n) {
        TreeSet<Integer> present = new TreeSet<>();
        for (int v : pred.labels()) {
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
        throw new MedsaException(pred.file() + ": has labels " + present + " but not " + n + "; choose the prediction's label");
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

    /**
     * Reads a mask file.
     *
     * @throws MedsaException naming the file and what is wrong (missing, lossy, colour, non-integer)
     */
    public static MaskFile read(Path file) {
        if (!Files.exists(file)) {
            throw new MedsaException(file + ": file not found");
        }
        if (Files.isDirectory(file)) {
            throw new MedsaException(file + ": is a directory; give a mask file (.nii, .nii.gz, .png, .bmp, .tif)");
        }
        switch (VolumeFiles.kind(file)) {
            case NIFTI:
                return readNifti(file);
            case IMAGE:
                return readImage(file);
            default:
                break;
        }
        throw new MedsaException(file + ": unknown mask file type; expected .nii, .nii.gz, .png, .bmp or .tif");
    }

    private static MaskFile readNifti(Path file) {
        NiftiImage image = VolumeFiles.read(file);
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
        return new MaskFile(file, true, volume.data(), shape, spacing, fileShape + " voxels (i x j x k)", volume.grid());
    }

    private static MaskFile readImage(Path file) {
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
        return new MaskFile(file, false, image.labels(), shape, new double[] {1.0, 1.0},
                image.height() + " x " + image.width() + " (height x width)", null);
    }

    /**
     * Checks that two masks lie on the same grid: format, shape, spacing, and (NIfTI) voxels within
     * half a voxel.
     *
     * @throws MedsaException naming the difference
     */
    public static void checkSameGrid(MaskFile pred, MaskFile truth) {
        if (pred.nifti() != truth.nifti()) {
            throw new MedsaException(pred.file() + ": is " + kind(pred) + " but the truth " + truth.file() + " is "
                    + kind(truth) + "; give both masks in the same format");
        }
        Grid.Difference d = !Arrays.equals(pred.shape(), truth.shape()) ? Grid.Difference.SHAPE
                : pred.grid() != null && truth.grid() != null ? pred.grid().compare(truth.grid()) : null;
        if (d == Grid.Difference.SHAPE) {
            throw new MedsaException(pred.file() + ": shape " + pred.fileShape() + " differs from the truth's ("
                    + truth.file() + ") " + truth.fileShape());
        }
        if (d == Grid.Difference.SPACING) {
            throw new MedsaException(pred.file() + ": voxel spacing " + join(reversed(pred.spacing()), " x ")
                    + " mm differs from the truth's (" + truth.file() + ") " + join(reversed(truth.spacing()), " x ")
                    + " mm; resample the prediction onto the truth's grid");
        }
        if (d != null) {
            throw new MedsaException(pred.file() + String.format(Locale.ROOT, ": its affine places the voxels up to %.3g mm"
                    + " away from the truth's (%s): origin or direction differ; the masks are not on the same grid",
                    pred.grid().cornerDistance(truth.grid()), truth.file()));
        }
    }

    private static String kind(MaskFile m) {
        return m.nifti() ? "NIfTI" : "a 2D image";
    }

    /** The spacing in file axis order (i, j, k) from the C-order one. */
    static double[] reversed(double[] spacing) {
        double[] out = new double[spacing.length];
        for (int axis = 0; axis < spacing.length; axis++) {
            out[axis] = spacing[spacing.length - 1 - axis];
        }
        return out;
    }

    static String join(double[] values, String separator) {
        return Arrays.stream(values).mapToObj(v -> String.format(Locale.ROOT, "%.6g", v))
                .map(MaskFile::trimZeros).collect(Collectors.joining(separator));
    }

    private static String trimZeros(String number) {
        return number.contains(".") && !number.contains("e") ? number.replaceAll("0+$", "").replaceAll("\\.$", "") : number;
    }

    /** The spacing in file axis order, e.g. "1.5 x 1.5 x 2.5". */
    public static String spacingText(MaskFile m) {
        return join(reversed(m.spacing()), " x ");
    }
}
