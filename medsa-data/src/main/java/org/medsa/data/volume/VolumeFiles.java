package org.medsa.data.volume;

import java.nio.file.Files;
import java.nio.file.Path;
import org.medsa.core.MedsaException;
import org.medsa.data.dicom.DicomSeries;
import org.medsa.data.nifti.NiftiDatatype;
import org.medsa.data.nifti.NiftiHeader;
import org.medsa.data.nifti.NiftiHeaders;
import org.medsa.data.nifti.NiftiImage;
import org.medsa.data.nifti.NiftiReader;

/**
 * The one way volumes are opened: a NIfTI file, or a DICOM series (a folder, or a DICOM file),
 * as a {@link NiftiImage} — for DICOM, float32 modality values with a header whose affine is the
 * series' RAS geometry — so every consumer (datasets, inspect, segmentation, the server, the batch
 * job) reads both the same way.
 */
public final class VolumeFiles {

    private VolumeFiles() {}

    /** True for .nii/.nii.gz names, DICOM files and folders holding DICOM files. */
    public static boolean isVolume(Path path) {
        return (Files.isRegularFile(path) && NiftiReader.isNiftiName(path)) || DicomSeries.isDicom(path);
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
        if (Files.isRegularFile(path) && NiftiReader.isNiftiName(path)) {
            if (dicomSeries != null) {
                throw new MedsaException(displayName + ": a series UID applies to DICOM folders; this is a NIfTI file");
            }
            return NiftiReader.read(path, displayName);
        }
        if (DicomSeries.isDicom(path)) {
            return fromDicom(DicomSeries.read(path, dicomSeries), displayName);
        }
        if (!Files.exists(path)) {
            throw new MedsaException(displayName + ": no such file or folder");
        }
        throw new MedsaException(displayName + ": not a volume (NIfTI .nii/.nii.gz, or DICOM files or a folder of them)");
    }

    /** The header of a volume (for DICOM the series is read: its geometry needs every slice). */
    public static NiftiHeader readHeader(Path path, String displayName) {
        if (Files.isRegularFile(path) && NiftiReader.isNiftiName(path)) {
            return NiftiReader.readHeader(path, displayName);
        }
        return read(path, displayName, null).header();
    }

    /** A DICOM series as an in-memory NIfTI image: float32 values, its RAS affine as sform and qform. */
    public static NiftiImage fromDicom(DicomSeries series, String name) {
        Grid g = series.volume().grid();
        String text = ("DICOM " + series.modality() + " " + series.description()).strip();
        NiftiHeader h = NiftiHeaders.forGrid(g, NiftiDatatype.FLOAT32).description(text.length() > 79 ? text.substring(0, 79) : text)
                .build();
        return NiftiImage.create(h, series.volume().data(), name);
    }
}
