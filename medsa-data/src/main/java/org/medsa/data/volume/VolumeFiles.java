package org.medsa.data.volume;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.medsa.core.MedsaException;
import org.medsa.data.dicom.DicomSeries;
import org.medsa.data.image.Image2DReader;
import org.medsa.data.nifti.NiftiDatatype;
import org.medsa.data.nifti.NiftiHeader;
import org.medsa.data.nifti.NiftiHeaders;
import org.medsa.data.nifti.NiftiImage;
import org.medsa.data.nifti.NiftiReader;
import org.medsa.data.nrrd.NrrdFormat;
import org.medsa.data.nrrd.NrrdReader;

/**
 * The one way image files are told apart ({@link #kind}) and volumes are opened: a NIfTI file, an
 * NRRD file, or
 * a DICOM series (a folder, or a DICOM file), as a {@link NiftiImage} — for DICOM, float32 modality
 * values with a header whose affine is the series' RAS geometry — so every consumer (datasets,
 * inspect, metrics, segmentation, the server, the batch job) reads them the same way.
 */
public final class VolumeFiles {

    /** What a path holds, as far as this library reads it. */
    public enum Kind {
        /** A .nii or .nii.gz file. */
        NIFTI,
        /** A .nrrd file (attached header; 3D Slicer's volume format). */
        NRRD,
        /** A DICOM file, or a folder holding DICOM files. */
        DICOM,
        /** A 2D raster image: .png, .jpg, .jpeg, .bmp, .tif, .tiff. */
        IMAGE,
        /** A NumPy array file (.npy). */
        NPY,
        /** Nothing this library reads (or nothing at all). */
        NONE;

        /** True for the kinds read as volumes (NIfTI, DICOM). */
        public boolean isVolume() {
            return this == NIFTI || this == NRRD || this == DICOM;
        }
    }

    private VolumeFiles() {}

    /**
     * What {@code path} holds: by its name for NIfTI, 2D images and .npy (so an output name can be
     * judged before the file exists), by its content for DICOM (files without a known extension
     * that carry DICOM's marker, and folders holding such files).
     */
    public static Kind kind(Path path) {
        Kind byName = kindByName(path);
        return byName != Kind.NONE ? byName : DicomSeries.isDicom(path) ? Kind.DICOM : Kind.NONE;
    }

    /**
     * What {@code path} holds as far as its name tells (NIfTI, 2D image, .npy), without reading it:
     * {@link Kind#NONE} for a name without a known extension (maybe DICOM) and for folders.
     */
    public static Kind kindByName(Path path) {
        if (Files.isDirectory(path) || path.getFileName() == null) {
            return Kind.NONE;
        }
        if (NiftiReader.isNiftiName(path)) {
            return Kind.NIFTI;
        }
        if (NrrdFormat.isNrrdName(path)) {
            return Kind.NRRD;
        }
        if (Image2DReader.isImageName(path)) {
            return Kind.IMAGE;
        }
        return path.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".npy") ? Kind.NPY : Kind.NONE;
    }

    /** Reads a volume (see the class comment); errors name {@code path}. */
    public static NiftiImage read(Path path) {
        return read(path, path.toString(), null);
    }

    /**
     * Reads a volume; {@code displayName} names it in errors, {@code dicomSeries} picks one series
     * of a DICOM folder that holds several (null: the only one).
     *
     * @throws MedsaException naming the file and what is wrong
     */
    public static NiftiImage read(Path path, String displayName, String dicomSeries) {
        if (!Files.exists(path)) {
            throw new MedsaException(displayName + ": no such file or folder");
        }
        Kind kind = kind(path);
        if (kind == Kind.NIFTI && Files.isRegularFile(path)) {
            if (dicomSeries != null) {
                throw new MedsaException(displayName + ": a series UID applies to DICOM folders; this is a NIfTI file");
            }
            return NiftiReader.read(path, displayName);
        }
        if (kind == Kind.NRRD && Files.isRegularFile(path)) {
            if (dicomSeries != null) {
                throw new MedsaException(displayName + ": a series UID applies to DICOM folders; this is an NRRD file");
            }
            return NrrdReader.read(path, displayName);
        }
        if (kind == Kind.DICOM) {
            return fromDicom(DicomSeries.read(path, dicomSeries), displayName);
        }
        throw new MedsaException(displayName + ": not a volume (NIfTI .nii/.nii.gz, NRRD .nrrd, or DICOM files or"
                + " a folder of them)");
    }

    /** The header of a volume (for DICOM the series is read: its geometry needs every slice). */
    public static NiftiHeader readHeader(Path path, String displayName) {
        if (Files.isRegularFile(path) && kind(path) == Kind.NIFTI) {
            return NiftiReader.readHeader(path, displayName);
        }
        return read(path, displayName, null).header();
    }

    /** A DICOM series as an in-memory NIfTI image: float32 values, its RAS affine as sform and qform. */
    public static NiftiImage fromDicom(DicomSeries series, String name) {
        Grid g = series.volume().grid();
        String text = ("DICOM " + series.modality() + " " + series.description()).strip();
        NiftiHeader h = NiftiHeaders.forGrid(g, NiftiDatatype.FLOAT32)
                .description(text.length() > 79 ? text.substring(0, 79) : text)
                .build();
        return NiftiImage.create(h, series.volume().data(), name);
    }
}
