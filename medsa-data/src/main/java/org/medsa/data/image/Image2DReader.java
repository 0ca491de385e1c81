package org.medsa.data.image;

import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.medsa.core.MedsaException;

/**
 * Reads PNG (1 to 16 bits, gray, gray+alpha, RGB, RGBA, palette), JPEG, BMP and TIFF with the
 * JDK's ImageIO, keeping the stored sample values (palette indices are not turned into colours,
 * 16-bit samples are not reduced). Errors are {@link MedsaException}s naming the file.
 */
public final class Image2DReader {

    private Image2DReader() {}

    /** True for .png, .jpg, .jpeg, .bmp, .tif, .tiff (case-insensitive). */
    public static boolean isImageName(Path path) {
        String n = path.getFileName().toString().toLowerCase(Locale.ROOT);
        return n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".bmp")
                || n.endsWith(".tif") || n.endsWith(".tiff");
    }

    /** Reads an image file; errors name {@code path}. */
    public static Image2D read(Path path) {
        return read(path, path.toString());
    }

    /**
     * Reads an image file; errors name {@code displayName}.
     *
     * @throws org.medsa.core.MedsaException if the file is missing, unreadable, damaged (e.g.
     *     truncated), empty, or of an unsupported kind (e.g. CMYK)
     */
    public static Image2D read(Path path, String displayName) {
        if (!Files.exists(path)) {
            throw new MedsaException(displayName + ": file not found");
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(path.toFile())) {
            if (in == null) {
                throw new MedsaException(displayName + ": cannot open");
            }
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new MedsaException(displayName + ": not a PNG, JPEG, BMP or TIFF image (unrecognised content)");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                String format = normaliseFormat(reader.getFormatName());
                checkMemory(reader.getWidth(0), reader.getHeight(0), displayName);
                // A truncated or corrupt file decodes with a warning and grey filler rows: refuse it.
                List<String> warnings = new ArrayList<>();
                reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
                BufferedImage image = reader.read(0);
                if (!warnings.isEmpty()) {
                    throw new MedsaException(displayName + ": damaged " + format + " image (" + warnings.get(0) + ")");
                }
                if (image.getWidth() <= 0 || image.getHeight() <= 0) {
                    throw new MedsaException(displayName + ": empty image (" + image.getWidth() + "x" + image.getHeight() + ")");
                }
                return convert(image, format, displayName);
            } finally {
                reader.dispose();
            }
        } catch (NoSuchFileException e) {
            throw new MedsaException(displayName + ": file not found", e);
        } catch (IOException | RuntimeException e) {
            if (e instanceof MedsaException) {
                throw (MedsaException) e;
            }
            String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            if (e.getCause() != null && e.getCause().getMessage() != null) {
                why += ": " + e.getCause().getMessage();
            }
            throw new MedsaException(displayName + ": cannot decode image (" + why + ")", e);
        }
    }

    /** Bytes a pixel costs while it is read and converted (decoded raster, samples, RGB planes). */
    static final long BYTES_PER_PIXEL = 32;

    /** Refuses, in one line that says what it needs, an image this JVM cannot hold. */
    static void checkMemory(long width, long height, String name) {
        long pixels = width * height;
        if (pixels * 4 > Integer.MAX_VALUE - 8) {
            throw new MedsaException(name + String.format(Locale.ROOT, ": a %d x %d image is larger than one array can hold"
                    + " (%d pixels); downscale it", width, height, pixels));
        }
        long need = pixels * BYTES_PER_PIXEL;
        Runtime rt = Runtime.getRuntime();
        long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        if (need > free) {
            throw new MedsaException(name + String.format(Locale.ROOT, ": a %d x %d image needs about %.1f GB to read, and this"
                    + " JVM has %.1f GB free of %.1f GB; give it more (e.g. MEDSA_JAVA_OPTS=-Xmx%dg) or downscale the image",
                    width, height, need / 1e9, free / 1e9, rt.maxMemory() / 1e9, (need >> 30) + 2 + (rt.maxMemory() >> 30)));
        }
    }

    private static Image2D convert(BufferedImage image, String format, String name) {
        int w = image.getWidth(), h = image.getHeight();
        Raster raster = image.getRaster();
        ColorModel cm = image.getColorModel();
        int bands = raster.getNumBands();
        int bits = raster.getSampleModel().getSampleSize(0);
        int[] samples = raster.getPixels(0, 0, w, h, (int[]) null);
        if (cm instanceof IndexColorModel && bands == 1) {
            IndexColorModel icm = (IndexColorModel) cm;
            int[][] palette = new int[icm.getMapSize()][];
            for (int i = 0; i < palette.length; i++) {
                palette[i] = new int[] {icm.getRed(i), icm.getGreen(i), icm.getBlue(i)};
            }
            for (int s : samples) {
                if (s >= palette.length) {
                    throw new MedsaException(name + ": palette index " + s + " beyond the " + palette.length + "-colour palette");
                }
            }
            return new Image2D(format, Image2D.ColorType.PALETTE, bits, h, w, samples, palette);
        }
        Image2D.ColorType type;
        switch (bands) {
            case 1: type = Image2D.ColorType.GRAY; break;
            case 2: type = Image2D.ColorType.GRAY_ALPHA; break;
            case 3: type = Image2D.ColorType.RGB; break;
            case 4: type = Image2D.ColorType.RGBA; break;
            default: throw new MedsaException(name + ": unsupported image with " + bands + " channels");
        }
        if (bands == 4 && !cm.hasAlpha()) {
            throw new MedsaException(name + ": CMYK or 4-channel colour images are not supported; convert to RGB");
        }
        if (bits > 16) {
            throw new MedsaException(name + ": " + bits + "-bit samples are not supported (8 or 16 bits)");
        }
        return new Image2D(format, type, bits, h, w, samples, null);
    }

    private static String normaliseFormat(String formatName) {
        String f = formatName.toLowerCase(Locale.ROOT);
        if (f.equals("jpg") || f.equals("jpeg")) {
            return "JPEG";
        }
        if (f.startsWith("tif")) {
            return "TIFF";
        }
        return f.toUpperCase(Locale.ROOT);
    }
}
