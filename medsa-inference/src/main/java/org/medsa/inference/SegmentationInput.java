package org.medsa.inference;

import java.nio.file.Files;
import java.nio.file.Path;
import org.medsa.core.MedsaException;
import org.medsa.core.predictor.RgbImage;
import org.medsa.data.dicom.DicomSeries;
import org.medsa.data.dicom.DicomSource;
import org.medsa.data.geometry.Affine;
import org.medsa.data.image.ImageFiles;
import org.medsa.data.nifti.NiftiHeader;
import org.medsa.data.nifti.NiftiImage;
import org.medsa.data.transforms.Slicer;
import org.medsa.data.volume.Grid;
import org.medsa.data.volume.ImageVolume;
import org.medsa.data.volume.LabelVolume;
import org.medsa.data.volume.VolumeFiles;

/**
 * An image to segment: a 3D volume (NIfTI; its header and affine are kept for the output) or a 2D
 * image (PNG, JPEG, BMP, TIFF, or a uint8 {@code .npy}).
 *
 * <p>Positions are voxel indices (i, j, k) of the file. A 2D image is a volume of shape (width,
 * height, 1): i is the column (x), j the row (y). A volume's slice along axis a is the plane of
 * {@link Slicer}: its rows run along the first remaining axis and its columns along the second
 * (axis 2: rows = i, columns = j).
 */
public final class SegmentationInput {

    private final Path source;
    private final ImageVolume volume;
    private final NiftiHeader header;
    private final RgbImage image;
    private final DicomSource dicom;

    private SegmentationInput(Path source, ImageVolume volume, NiftiHeader header, RgbImage image, DicomSource dicom) {
        this.source = source;
        this.volume = volume;
        this.header = header;
        this.image = image;
        this.dicom = dicom;
    }

    /**
     * Reads a file by its name: {@code .nii}/{@code .nii.gz} as a volume, images as 2D.
     *
     * @throws MedsaException naming the file and what is wrong (missing, unreadable, 4D, NaN or
     *     infinite values)
     */
    public static SegmentationInput read(Path file) {
        return read(file, null);
    }

    /**
     * Reads a file or a DICOM folder; {@code dicomSeries} picks one series of a DICOM folder that
     * holds several (null: the only one).
     */
    public static SegmentationInput read(Path file, String dicomSeries) {
        if (!Files.exists(file)) {
            throw new MedsaException(file + ": no such image file");
        }
        VolumeFiles.Kind kind = VolumeFiles.kind(file);
        if (kind == VolumeFiles.Kind.DICOM) {
            DicomSeries series = DicomSeries.read(file, dicomSeries);
            NiftiImage nifti = VolumeFiles.fromDicom(series, file.toString());
            return new SegmentationInput(file, checked(nifti.toImageVolume(0), file.toString()), nifti.header(), null,
                    series.source());
        }
        if (kind.isVolume()) {
            NiftiImage nifti = VolumeFiles.read(file, file.toString(), dicomSeries);
            if (nifti.frameCount() > 1) {
                throw new MedsaException(file + ": a 4D volume of " + nifti.frameCount()
                        + " frames; extract the frame to segment into a 3D file first");
            }
            return new SegmentationInput(file, checked(nifti.toImageVolume(0), file.toString()), nifti.header(), null, null);
        }
        if (dicomSeries != null) {
            throw new MedsaException(file + ": a series UID applies to DICOM folders; this is a 2D image");
        }
        if (kind == VolumeFiles.Kind.IMAGE || kind == VolumeFiles.Kind.NPY) {
            return new SegmentationInput(file, null, null, ImageFiles.readRgb(file), null);
        }
        throw new MedsaException(file + ": not a supported image (NIfTI .nii/.nii.gz or DICOM volumes; .png, .jpg, .bmp,"
                + " .tif or uint8 .npy 2D images)");
    }

    /** A volume in memory; {@code header} (may be null) is the NIfTI header outputs copy. */
    public static SegmentationInput of(ImageVolume volume, NiftiHeader header) {
        return new SegmentationInput(null, checked(volume, "volume"), header, null, null);
    }

    /** A 2D image in memory. */
    public static SegmentationInput of(RgbImage image) {
        return new SegmentationInput(null, null, null, image, null);
    }

    private static ImageVolume checked(ImageVolume v, String name) {
        long bad = 0;
        for (float x : v.data()) {
            if (!Float.isFinite(x)) {
                bad++;
            }
        }
        if (bad > 0) {
            throw new MedsaException(name + ": " + bad + " of " + v.data().length
                    + " voxels are NaN or infinite; a volume with missing values cannot be segmented");
        }
        return v;
    }

    /** The file read, or null. */
    public Path source() {
        return source;
    }

    /**
     * The DICOM series a volume was read from (its study, frame of reference and instances, for a
     * DICOM SEG result), or null for other inputs.
     */
    public DicomSource dicom() {
        return dicom;
    }

    /** True for a volume, false for a 2D image. */
    public boolean isVolume() {
        return volume != null;
    }

    /** The volume (null for 2D input). */
    public ImageVolume volume() {
        return volume;
    }

    /** The NIfTI header of the input (null for 2D input or a volume made in memory without one). */
    public NiftiHeader header() {
        return header;
    }

    /** The 2D image (null for volumes). */
    public RgbImage image() {
        return image;
    }

    /** (nx, ny, nz); (width, height, 1) for a 2D image. */
    public int[] shape() {
        return volume != null ? volume.grid().shape() : new int[] {image.width(), image.height(), 1};
    }

    /** The voxel grid: the volume's, or an identity grid of (width, height, 1) for a 2D image. */
    public Grid grid() {
        return volume != null ? volume.grid() : new Grid(image.width(), image.height(), 1, Affine.diagonal(1, 1, 1, 0, 0, 0));
    }

    /** The axis whose index grows along a slice's rows. */
    public int rowAxis(int axis) {
        checkAxis(axis);
        return volume != null ? (axis == 0 ? 1 : 0) : 1;
    }

    /** The axis whose index grows along a slice's columns. */
    public int colAxis(int axis) {
        checkAxis(axis);
        return volume != null ? (axis == 2 ? 1 : 2) : 0;
    }

    /** (rows, cols) of a slice along {@code axis}. */
    public int[] sliceShape(int axis) {
        int[] s = shape();
        return new int[] {s[rowAxis(axis)], s[colAxis(axis)]};
    }

    /** Checks an axis: 0, 1 or 2 for volumes, 2 for a 2D image. */
    public void checkAxis(int axis) {
        if (axis < 0 || axis > 2) {
            throw new MedsaException("axis must be 0, 1 or 2, got " + axis);
        }
        if (volume == null && axis != 2) {
            throw new MedsaException("a 2D image has one slice, along axis 2; axis " + axis + " applies to volumes only");
        }
    }

    /**
     * Slice {@code index} along {@code axis} as the model sees it: gray from {@code normalised}
     * (this volume already mapped to [0, 1], e.g. by {@code Intensity.apply}), or the 2D image.
     */
    public RgbImage sliceImage(ImageVolume normalised, int axis, int index) {
        if (volume == null) {
            return image;
        }
        int[] hw = sliceShape(axis);
        return RgbImage.fromGray(Slicer.slice(normalised, axis, index), hw[0], hw[1]);
    }

    /** Writes a slice's (rows × cols) labels into a volume-sized array in grid order. */
    public void putSlice(int[] labels, int axis, int index, int[] slice) {
        if (volume == null) {
            System.arraycopy(slice, 0, labels, 0, slice.length); // rows = j, cols = i: grid order already
            return;
        }
        Slicer.put(labels, volume.grid(), axis, index, slice);
    }

    /** A slice's (rows × cols) labels out of a volume-sized array in grid order. */
    public int[] getSlice(int[] labels, int axis, int index) {
        if (volume == null) {
            return labels.clone();
        }
        return Slicer.slice(new LabelVolume(volume.grid(), labels), axis, index);
    }

    @Override
    public String toString() {
        int[] s = shape();
        return (source != null ? source.toString() : "image") + " (" + s[0] + "x" + s[1] + "x" + s[2] + ")";
    }
}
