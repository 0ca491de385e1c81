package org.medsa.data.image;

import java.nio.file.Files;
import java.nio.file.Path;
import org.medsa.core.MedsaException;
import org.medsa.core.io.Npy;
import org.medsa.core.predictor.RgbImage;
import org.medsa.data.dicom.DicomImage;
import org.medsa.data.geometry.Affine;
import org.medsa.data.transforms.Intensity;
import org.medsa.data.volume.Grid;
import org.medsa.data.volume.ImageVolume;
import org.medsa.data.volume.VolumeFiles;

/**
 * Reads a 2D image file as the 8-bit RGB image a model takes: PNG (8 or 16 bits, gray, RGB,
 * palette), JPEG, BMP and TIFF through {@link Image2DReader} (with its checks: damaged files and
 * CMYK images are refused), a uint8 {@code .npy} of (H, W, 3) RGB or (H, W) gray, or a
 * single-frame DICOM file (colour as it is; gray through an {@link Intensity} window, as slices of
 * a volume are, rows and columns as the file displays them). Gray is replicated to three channels,
 * 16-bit samples are scaled to 0..255 and rounded.
 */
public final class ImageFiles {

    private ImageFiles() {}

    /**
     * Reads an image; a gray DICOM file's values become 8 bits by {@link Intensity#auto()}.
     *
     * @throws MedsaException naming the file and what is wrong
     */
    public static RgbImage readRgb(Path file) {
        return readRgb(file, Intensity.auto());
    }

    /**
     * Reads an image; {@code intensity} maps a gray DICOM file's modality values (e.g. Hounsfield
     * units) to gray levels, and is not used for other formats, which are 8-bit already.
     *
     * @throws MedsaException naming the file and what is wrong
     */
    public static RgbImage readRgb(Path file, Intensity intensity) {
        if (!Files.isRegularFile(file)) {
            throw new MedsaException(file + ": no such image file");
        }
        switch (VolumeFiles.kind(file)) {
            case NPY:
                return RgbImage.fromNpy(Npy.read(file), file.toString());
            case DICOM:
                return dicom(file, intensity);
            case IMAGE:
                Image2D img = Image2DReader.read(file);
                return RgbImage.fromPlanes(img.toRgb255(), 3, img.height(), img.width());
            default:
                throw new MedsaException(file + ": not a supported image (.png, .jpg, .jpeg, .bmp, .tif, .tiff, DICOM or a uint8"
                        + " .npy)");
        }
    }

    private static RgbImage dicom(Path file, Intensity intensity) {
        DicomImage d = DicomImage.read(file);
        if (d.frames() != 1) {
            throw new MedsaException(file + ": a DICOM file of " + d.frames()
                    + " frames, not one 2D image; segment it as a volume");
        }
        if (d.samplesPerPixel() == 3) {
            return RgbImage.fromPlanes(d.rgbPlanes(0), 3, d.rows(), d.columns());
        }
        float[] values = d.values(0);
        for (float v : values) {
            if (!Float.isFinite(v)) {
                throw new MedsaException(file + ": the rescaled pixel values are not finite (Rescale Slope/Intercept)");
            }
        }
        // (rows, cols) row-major is the (i = column, j = row) layout of a one-slice volume
        ImageVolume gray = intensity.apply(new ImageVolume(new Grid(d.columns(), d.rows(), 1,
                Affine.diagonal(1, 1, 1, 0, 0, 0)), values));
        return RgbImage.fromGray(gray.data(), d.rows(), d.columns());
    }
}
