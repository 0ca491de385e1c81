package org.medsa.inference;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import org.medsa.core.MedsaException;
import org.medsa.core.io.Npy;
import org.medsa.core.predictor.Prompt;
import org.medsa.core.predictor.RgbImage;
import org.medsa.core.viz.Overlay;
import org.medsa.data.dicom.DicomSegWriter;
import org.medsa.data.nifti.NiftiDatatype;
import org.medsa.data.nifti.NiftiHeader;
import org.medsa.data.nifti.NiftiHeaders;
import org.medsa.data.nifti.NiftiImage;
import org.medsa.data.nifti.NiftiReader;
import org.medsa.data.nifti.NiftiWriter;
import org.medsa.data.nrrd.NrrdFormat;
import org.medsa.data.nrrd.NrrdWriter;
import org.medsa.data.transforms.Intensity;
import org.medsa.data.volume.Grid;
import org.medsa.data.volume.ImageVolume;
import org.medsa.data.volume.LabelVolume;

/**
 * The result of {@link VolumeSegmenter#segment}: a label volume on the input's grid (0 =
 * background) and what happened on each prompted slice.
 */
public final class Segmentation {

    /**
     * One label on one slice: its predicted IoU, its area in pixels, the prompt in the slice's
     * pixels (x = column, y = row) and the mask (rows × cols).
     */
    public record SliceResult(int label, int axis, int slice, float iou, int area, Prompt prompt, boolean[] mask) {}

    private final SegmentationInput input;
    private final int axis;
    private final Intensity intensity;
    private final ImageVolume normalised;
    private final int[] labels;
    private final List<SliceResult> slices;
    private final SortedMap<Integer, float[]> logits;

    Segmentation(SegmentationInput input, int axis, Intensity intensity, ImageVolume normalised,
            int[] labels, List<SliceResult> slices, SortedMap<Integer, float[]> logits) {
        this.input = input;
        this.axis = axis;
        this.intensity = intensity;
        this.normalised = normalised;
        this.labels = labels;
        this.slices = Collections.unmodifiableList(slices);
        this.logits = logits == null ? null : Collections.unmodifiableSortedMap(logits);
    }

    /**
     * Slice index → mask logits (rows × cols of the slice, row-major) of every segmented slice,
     * before the threshold; with several labels the largest logit of any of them (the logit of
     * their union). Kept only when asked ({@code Options.Builder.keepLogits}).
     *
     * @throws MedsaException if the logits were not kept
     */
    public SortedMap<Integer, float[]> logits() {
        if (logits == null) {
            throw new MedsaException("the logits were not kept; segment with keepLogits(true)");
        }
        return logits;
    }

    /**
     * Writes {@code dir/slice_<k>.npy} for every segmented slice k: float32, shape (rows, cols) of
     * the slice, its mask logits ({@link #logits}); each file atomically. The folder is made if
     * needed.
     *
     * @throws MedsaException if the logits were not kept, {@code dir} is a file, or a file cannot be written
     */
    public void writeLogits(Path dir) {
        SortedMap<Integer, float[]> all = logits();
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new MedsaException(dir + ": is a file; give a folder for the logits");
        }
        int[] hw = input.sliceShape(axis);
        try {
            Files.createDirectories(dir);
            for (Map.Entry<Integer, float[]> e : all.entrySet()) {
                Npy.writeFloats(dir.resolve("slice_" + e.getKey() + ".npy"), e.getValue(), hw[0], hw[1]);
            }
        } catch (IOException e) {
            throw new MedsaException(dir + ": cannot write the logits (" + e.getMessage() + ")", e);
        }
    }

    /** The labels on the input's grid (for 2D images: (width, height, 1)). */
    public LabelVolume labels() {
        return new LabelVolume(input.grid(), labels);
    }

    /** What happened on each prompted slice, one entry per label and slice. */
    public List<SliceResult> slices() {
        return slices;
    }

    /** The slicing axis. */
    public int axis() {
        return axis;
    }

    /** The intensity mapping used ({@code auto} resolved); null for 2D images. */
    public Intensity intensity() {
        return intensity;
    }

    /** Voxels with a label. */
    public long labelledVoxels() {
        long n = 0;
        for (int v : labels) {
            n += v != 0 ? 1 : 0;
        }
        return n;
    }

    /**
     * Writes the labels in the input's format, atomically: a uint8 NIfTI with the input's header
     * and affine for volumes ({@code .nii} or {@code .nii.gz}; {@code .nrrd}: NRRD on the same grid),
     * a PNG for 2D images (0/255 when only
     * label 1 is used, else the label values).
     *
     * @throws MedsaException if {@code out} is the input file, its extension does not fit the
     *     input, or it cannot be written
     */
    public void write(Path out) {
        writeLabels(input, labels, out);
    }

    /**
     * Writes labels (on {@code input}'s grid, values 0..255) in the input's format, atomically, as
     * {@link #write} does: the one definition of a mask file, shared with the server's export.
     *
     * @throws MedsaException if {@code out} is the input file, its extension does not fit the
     *     input, or it cannot be written
     */
    public static void writeLabels(SegmentationInput input, int[] labels, Path out) {
        writeLabels(input, labels, out, NiftiDatatype.UINT8);
    }

    /**
     * As {@link #writeLabels(SegmentationInput, int[], Path)}, storing a volume's labels as {@code
     * type} (e.g. what a MONAI Label client asks for as {@code result_dtype}).
     */
    public static void writeLabels(SegmentationInput input, int[] labels, Path out, NiftiDatatype type) {
        writeLabels(input, labels, out, type, Map.of());
    }

    /**
     * As {@link #writeLabels(SegmentationInput, int[], Path, NiftiDatatype)}; a {@code .dcm} output
     * of a DICOM series input is a DICOM SEG ({@link DicomSegWriter}) whose segments are named by
     * {@code names} (label value to name; "Segment N" otherwise).
     */
    public static void writeLabels(SegmentationInput input, int[] labels, Path out, NiftiDatatype type,
            Map<Integer, String> names) {
        checkOutput(input, out);
        if (isDicomName(out)) {
            DicomSegWriter.write(out, input.dicom(), labels, names);
            return;
        }
        int max = 0;
        for (int v : labels) {
            max = Math.max(max, v);
        }
        if (input.isVolume()) {
            Grid g = input.grid();
            NiftiHeader base = input.header() != null ? input.header() : NiftiHeaders.forGrid(g, NiftiDatatype.UINT8).build();
            NiftiHeader h = base.toBuilder().dims(g.nx(), g.ny(), g.nz()).datatype(type).scaling(1, 0)
                    .calRange(0, max).description("Med-SA segmentation").build();
            NiftiImage image = NiftiImage.create(h, labels, out.toString());
            if (NrrdFormat.isNrrdName(out)) {
                NrrdWriter.write(image, out);
            } else {
                NiftiWriter.write(image, out);
            }
        } else {
            int[] s = input.shape();
            Overlay.writePng(Overlay.labelImage(labels, s[1], s[0], max <= 1), out);
        }
    }

    /** True for names ending in .dcm (a DICOM SEG output). */
    static boolean isDicomName(Path out) {
        return out.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".dcm");
    }

    /**
     * Refuses an output that would replace the input, is a folder, or does not fit the input's
     * kind (NIfTI for volumes, PNG for 2D images).
     */
    public static void checkOutput(SegmentationInput input, Path out) {
        if (input.source() != null) {
            try {
                if (Files.exists(out) && Files.isSameFile(out, input.source())) {
                    throw new MedsaException(out + ": is the input image; write the mask to another file");
                }
            } catch (IOException e) {
                throw new MedsaException(out + ": cannot check the output path (" + e.getMessage() + ")", e);
            }
        }
        if (Files.isDirectory(out)) {
            throw new MedsaException(out + ": is a folder; give the mask's file name");
        }
        String n = out.getFileName().toString().toLowerCase(Locale.ROOT);
        if (isDicomName(out)) {
            if (input.dicom() == null) {
                throw new MedsaException(out + ": a DICOM SEG is written for a DICOM series input; "
                        + (input.source() == null ? "this input" : input.source().getFileName().toString())
                        + " is not one (write the mask as .nii.gz or .nrrd)");
            }
            return;
        }
        if (input.isVolume() && !NiftiReader.isNiftiName(out) && !NrrdFormat.isNrrdName(out)) {
            throw new MedsaException(out + ": a volume's mask is written as NIfTI or NRRD; name it .nii, .nii.gz or .nrrd"
                    + (input.dicom() != null ? ", or .dcm for a DICOM SEG" : ""));
        }
        if (!input.isVolume() && !n.endsWith(".png")) {
            throw new MedsaException(out + ": a 2D image's mask is written as PNG; name it .png");
        }
    }

    /**
     * The overlay of one slice result for viewing: the slice image, its mask and its prompt,
     * enlarged so that the shorter side has at least {@code minSide} pixels.
     */
    public BufferedImage overlay(SliceResult r, int minSide) {
        RgbImage image = input.sliceImage(normalised, r.axis(), r.slice());
        return Overlay.forViewing(Overlay.render(image, r.mask(), null, r.prompt()), minSide);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%d labelled voxels on %d slice(s) of %s", labelledVoxels(), slices.size(), input);
    }
}
