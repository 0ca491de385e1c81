package org.medsa.data.image;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.medsa.core.MedsaException;
import org.medsa.core.io.Npy;
import org.medsa.core.predictor.RgbImage;

/**
 * Reads a 2D image file as the 8-bit RGB image a model takes: PNG (8 or 16 bits, gray, RGB,
 * palette), JPEG, BMP and TIFF through {@link Image2DReader} (with its checks: damaged files and
 * CMYK images are refused), or a uint8 {@code .npy} of (H, W, 3) RGB or (H, W) gray. Gray is
 * replicated to three channels, 16-bit samples are scaled to 0..255 and rounded.
 */
public final class ImageFiles {

    private ImageFiles() {}

    /** True for the names {@link #readRgb} reads. */
    public static boolean isImageName(Path file) {
        return Image2DReader.isImageName(file) || file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".npy");
    }

    /**
     * @throws MedsaException naming the file and what is wrong
     */
    public static RgbImage readRgb(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new MedsaException(file + ": no such image file");
        }
        if (file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".npy")) {
            return RgbImage.fromNpy(Npy.read(file), file.toString());
        }
        if (!Image2DReader.isImageName(file)) {
            throw new MedsaException(file + ": not a supported image (.png, .jpg, .jpeg, .bmp, .tif, .tiff or a uint8 .npy)");
        }
        Image2D img = Image2DReader.read(file);
        return RgbImage.fromPlanes(img.toRgb255(), 3, img.height(), img.width());
    }
}
