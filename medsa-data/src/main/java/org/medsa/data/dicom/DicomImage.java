package org.medsa.data.dicom;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.medsa.core.MedsaException;

/**
 * One DICOM file's image: its attributes (pixel description, rescale, geometry) and its frames,
 * decoded by {@link PixelCodecs}. Pixel handling: Bits
 * Allocated 8, 16 or 32 with Bits Stored and Pixel Representation (sign extension), Rescale
 * Slope/Intercept (e.g. CT Hounsfield units), MONOCHROME1 (inverted so that larger means brighter,
 * as MONOCHROME2), MONOCHROME2 and RGB (both planar configurations), single and multi-frame;
 * native, RLE Lossless and JPEG Baseline/Extended pixel data.
 */
public final class DicomImage {

    private final String name;
    private final DicomDataset ds;
    private final TransferSyntax syntax;
    private final int rows;
    private final int columns;
    private final int frames;
    private final int samplesPerPixel;
    private final String photometric;
    private final int bitsAllocated;
    private final int bitsStored;
    private final int pixelRepresentation;
    private final int planarConfiguration;
    private final double slope;
    private final double intercept;

    private DicomImage(String name, DicomDataset ds, TransferSyntax syntax) {
        this.name = name;
        this.ds = ds;
        this.syntax = syntax;
        try {
            this.rows = required(Tags.ROWS, "Rows");
            this.columns = required(Tags.COLUMNS, "Columns");
            Integer f = ds.integer(Tags.NUMBER_OF_FRAMES);
            this.frames = f == null ? 1 : f;
            Integer spp = ds.integer(Tags.SAMPLES_PER_PIXEL);
            this.samplesPerPixel = spp == null ? 1 : spp;
            String pi = ds.string(Tags.PHOTOMETRIC_INTERPRETATION);
            this.photometric = pi == null ? (samplesPerPixel == 3 ? "RGB" : "MONOCHROME2") : pi;
            this.bitsAllocated = required(Tags.BITS_ALLOCATED, "Bits Allocated");
            Integer bs = ds.integer(Tags.BITS_STORED);
            this.bitsStored = bs == null ? bitsAllocated : bs;
            Integer pr = ds.integer(Tags.PIXEL_REPRESENTATION);
            this.pixelRepresentation = pr == null ? 0 : pr;
            Integer pc = ds.integer(Tags.PLANAR_CONFIGURATION);
            this.planarConfiguration = pc == null ? 0 : pc;
            double[] s = rescale(Tags.RESCALE_SLOPE);
            double[] i = rescale(Tags.RESCALE_INTERCEPT);
            this.slope = s == null ? 1 : s[0];
            this.intercept = i == null ? 0 : i[0];
        } catch (NumberFormatException e) {
            throw new MedsaException(name + ": a numeric attribute is not a number (" + e.getMessage() + ")", e);
        }
        check();
    }

    /**
     * Reads and parses a file (header and pixel data).
     *
     * @throws MedsaException naming the file and what is wrong
     */
    public static DicomImage read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new MedsaException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
        DicomParser.Parsed p = DicomParser.parse(bytes, file.toString());
        if (!p.dataset().contains(Tags.PIXEL_DATA)) {
            throw new MedsaException(file + ": no Pixel Data (7FE0,0010): not an image (e.g. a report or a structure set)");
        }
        return new DicomImage(file.toString(), p.dataset(), p.syntax());
    }

    /** A rescale value from the dataset, or from the shared functional groups of an enhanced image. */
    private double[] rescale(int tag) {
        double[] v = ds.doubles(tag);
        if (v != null) {
            return v;
        }
        for (DicomDataset shared : ds.sequence(Tags.SHARED_FUNCTIONAL_GROUPS)) {
            for (DicomDataset t : shared.sequence(Tags.PIXEL_VALUE_TRANSFORMATION_SEQUENCE)) {
                if (t.doubles(tag) != null) {
                    return t.doubles(tag);
                }
            }
        }
        return null;
    }

    private int required(int tag, String what) {
        Integer v = ds.integer(tag);
        if (v == null) {
            throw new MedsaException(name + ": missing " + what + " " + DicomDataset.tagName(tag));
        }
        return v;
    }

    private void check() {
        if (rows <= 0 || columns <= 0 || frames <= 0) {
            throw new MedsaException(name + ": an image of " + rows + " rows, " + columns + " columns and " + frames + " frames");
        }
        if (bitsAllocated != 8 && bitsAllocated != 16 && bitsAllocated != 32) {
            throw new MedsaException(name + ": Bits Allocated " + bitsAllocated + " is not supported (8, 16 or 32)");
        }
        if (bitsStored < 1 || bitsStored > bitsAllocated) {
            throw new MedsaException(name + ": Bits Stored " + bitsStored + " does not fit Bits Allocated " + bitsAllocated);
        }
        if (samplesPerPixel == 1) {
            if (!photometric.equals("MONOCHROME1") && !photometric.equals("MONOCHROME2")) {
                throw new MedsaException(name + ": photometric interpretation " + photometric
                        + " is not supported with one sample"
                        + " per pixel (MONOCHROME1, MONOCHROME2)");
            }
        } else if (samplesPerPixel == 3) {
            boolean jpegColour = syntax.pixels() == TransferSyntax.Pixels.JPEG && photometric.startsWith("YBR_FULL");
            if (!photometric.equals("RGB") && !jpegColour) {
                throw new MedsaException(name + ": photometric interpretation " + photometric + " is not supported (RGB, or"
                        + " YBR_FULL/YBR_FULL_422 in JPEG); convert the file to RGB");
            }
        } else {
            throw new MedsaException(name + ": " + samplesPerPixel + " samples per pixel is not supported (1 or 3)");
        }
        if (!Double.isFinite(slope) || !Double.isFinite(intercept) || slope == 0) {
            throw new MedsaException(name + ": Rescale Slope " + slope + " / Intercept " + intercept
                    + " cannot map stored values");
        }
        DicomDataset.Element px = ds.element(Tags.PIXEL_DATA);
        if (!syntax.encapsulated()) {
            long need = (long) rows * columns * frames * samplesPerPixel * (bitsAllocated / 8);
            long have = px.value() == null ? 0 : px.value().length;
            if (have < need) {
                throw new MedsaException(name + ": Pixel Data holds " + have + " bytes but " + rows + "x" + columns + "x" + frames
                        + " frames of " + samplesPerPixel + "x" + bitsAllocated + " bits need " + need
                                + " (inconsistent rows/columns"
                        + " or a truncated file)");
            }
        } else if (px.fragments() == null || px.fragments().size() < 2) {
            throw new MedsaException(name + ": encapsulated Pixel Data without fragments");
        }
    }

    /** The file (for messages). */
    public String name() {
        return name;
    }

    /** All attributes of the file. */
    public DicomDataset dataset() {
        return ds;
    }

    public TransferSyntax transferSyntax() {
        return syntax;
    }

    public int rows() {
        return rows;
    }

    public int columns() {
        return columns;
    }

    public int frames() {
        return frames;
    }

    public int samplesPerPixel() {
        return samplesPerPixel;
    }

    public String photometric() {
        return photometric;
    }

    public int bitsAllocated() {
        return bitsAllocated;
    }

    public int bitsStored() {
        return bitsStored;
    }

    /** 0 unsigned, 1 two's complement. */
    public int pixelRepresentation() {
        return pixelRepresentation;
    }

    public double rescaleSlope() {
        return slope;
    }

    public double rescaleIntercept() {
        return intercept;
    }

    /** Modality (e.g. "CT", "MR"), or "OT" when absent. */
    public String modality() {
        String m = ds.string(Tags.MODALITY);
        return m == null ? "OT" : m;
    }

    /** Series Instance UID, or "" when absent. */
    public String seriesUid() {
        String s = ds.string(Tags.SERIES_INSTANCE_UID);
        return s == null ? "" : s;
    }

    /** Series Description, or "". */
    public String seriesDescription() {
        String s = ds.string(Tags.SERIES_DESCRIPTION);
        return s == null ? "" : s;
    }

    /**
     * The stored values of one frame, sample-interleaved (rows, cols, samples) row-major, after
     * sign extension of Bits Stored; no rescale, no inversion.
     */
    public int[] storedFrame(int frame) {
        if (frame < 0 || frame >= frames) {
            throw new IndexOutOfBoundsException("frame " + frame + " of " + frames);
        }
        int n = rows * columns * samplesPerPixel;
        PixelCodecs.Layout layout = new PixelCodecs.Layout(name, rows, columns, frames, samplesPerPixel, bitsAllocated,
                bitsStored,
                pixelRepresentation, planarConfiguration, ds.order());
        DicomDataset.Element px = ds.element(Tags.PIXEL_DATA);
        int[] out = switch (syntax.pixels()) {
            case NATIVE -> PixelCodecs.nativeFrame(layout, px.value(), frame);
            case RLE -> PixelCodecs.rleFrame(layout, px.fragments(), frame);
            case JPEG -> PixelCodecs.jpegFrame(layout, px.fragments(), frame);
        };
        if (out.length != n) {
            throw new MedsaException(name + ": frame " + frame + " decodes to " + out.length + " values, " + n + " expected");
        }
        return out;
    }

    /**
     * One frame of a one-sample image as modality values: stored values times Rescale Slope plus
     * Intercept (Hounsfield units for CT), rows × cols row-major; MONOCHROME1 is mirrored over the
     * range of stored values so that larger values mean brighter, as everywhere else.
     */
    public float[] values(int frame) {
        if (samplesPerPixel != 1) {
            throw new MedsaException(name + ": a colour (" + photometric
                    + ") image has no single value per pixel; read it as RGB");
        }
        int[] s = storedFrame(frame);
        float[] out = new float[s.length];
        boolean invert = photometric.equals("MONOCHROME1");
        int lo = pixelRepresentation == 1 ? -(1 << (bitsStored - 1)) : 0;
        long hi = pixelRepresentation == 1 ? (1L << (bitsStored - 1)) - 1 : (1L << bitsStored) - 1;
        boolean unsigned32 = pixelRepresentation == 0 && bitsStored == 32;
        for (int i = 0; i < s.length; i++) {
            double stored = unsigned32 ? s[i] & 0xffffffffL : s[i];
            double v = invert ? (double) hi + lo - stored : stored;
            out[i] = (float) (v * slope + intercept);
        }
        return out;
    }

    /**
     * One frame of a colour image as planes (3, rows, cols) on a 0–255 scale (16- and 32-bit samples
     * scaled by 255 / (2^bits − 1)). Gray images are read with {@link #values} and an intensity window.
     */
    public float[] rgbPlanes(int frame) {
        if (samplesPerPixel != 3) {
            throw new MedsaException(name + ": a " + photometric + " image has no colour planes");
        }
        int[] s = storedFrame(frame);
        int plane = rows * columns;
        float[] out = new float[3 * plane];
        double scale = 255.0 / ((1L << bitsStored) - 1);
        for (int p = 0; p < plane; p++) {
            for (int c = 0; c < 3; c++) {
                out[c * plane + p] = (float) ((s[p * 3 + c] & 0xffffffffL) * scale);
            }
        }
        return out;
    }

    // ---- geometry ----

    /** Image Orientation (Patient): row direction then column direction (6 numbers), or null. */
    public double[] orientation() {
        double[] o = ds.doubles(Tags.IMAGE_ORIENTATION_PATIENT);
        if (o != null) {
            return o;
        }
        for (DicomDataset group : functionalGroups(0)) {
            for (DicomDataset p : group.sequence(Tags.PLANE_ORIENTATION_SEQUENCE)) {
                if (p.doubles(Tags.IMAGE_ORIENTATION_PATIENT) != null) {
                    return p.doubles(Tags.IMAGE_ORIENTATION_PATIENT);
                }
            }
        }
        return null;
    }

    /** Image Position (Patient) of a frame (x, y, z in mm, LPS), or null. */
    public double[] position(int frame) {
        for (DicomDataset group : functionalGroups(frame)) {
            for (DicomDataset p : group.sequence(Tags.PLANE_POSITION_SEQUENCE)) {
                if (p.doubles(Tags.IMAGE_POSITION_PATIENT) != null) {
                    return p.doubles(Tags.IMAGE_POSITION_PATIENT);
                }
            }
        }
        double[] first = ds.doubles(Tags.IMAGE_POSITION_PATIENT);
        if (first == null || frame == 0) {
            return first;
        }
        double[] offsets = ds.doubles(Tags.GRID_FRAME_OFFSET_VECTOR);
        double[] o = orientation();
        if (o == null) {
            return null;
        }
        double[] n = cross(o);
        double step;
        if (offsets != null && offsets.length == frames) {
            step = offsets[frame] - offsets[0];
        } else {
            double[] between = ds.doubles(Tags.SPACING_BETWEEN_SLICES);
            double[] thick = ds.doubles(Tags.SLICE_THICKNESS);
            step = frame * (between != null ? between[0] : thick != null ? thick[0] : 1.0);
            return new double[] {first[0] + step * n[0], first[1] + step * n[1], first[2] + step * n[2]};
        }
        return new double[] {first[0] + step * n[0], first[1] + step * n[1], first[2] + step * n[2]};
    }

    /** Pixel Spacing: between rows, between columns (mm), or null. */
    public double[] pixelSpacing() {
        double[] s = ds.doubles(Tags.PIXEL_SPACING);
        if (s != null) {
            return s;
        }
        for (DicomDataset group : functionalGroups(0)) {
            for (DicomDataset p : group.sequence(Tags.PIXEL_MEASURES_SEQUENCE)) {
                if (p.doubles(Tags.PIXEL_SPACING) != null) {
                    return p.doubles(Tags.PIXEL_SPACING);
                }
            }
        }
        return null;
    }

    /** Slice Thickness or Spacing Between Slices (mm), or null. */
    public double[] sliceThickness() {
        double[] s = ds.doubles(Tags.SPACING_BETWEEN_SLICES);
        return s != null ? s : ds.doubles(Tags.SLICE_THICKNESS);
    }

    /** The per-frame functional group of a frame (enhanced images), then the shared one. */
    private List<DicomDataset> functionalGroups(int frame) {
        List<DicomDataset> out = new ArrayList<>();
        List<DicomDataset> perFrame = ds.sequence(Tags.PER_FRAME_FUNCTIONAL_GROUPS);
        if (frame < perFrame.size()) {
            out.add(perFrame.get(frame));
        }
        out.addAll(ds.sequence(Tags.SHARED_FUNCTIONAL_GROUPS));
        return out;
    }

    /** The slice normal: row direction × column direction. */
    static double[] cross(double[] o) {
        return new double[] {o[1] * o[5] - o[2] * o[4], o[2] * o[3] - o[0] * o[5], o[0] * o[4] - o[1] * o[3]};
    }
}
