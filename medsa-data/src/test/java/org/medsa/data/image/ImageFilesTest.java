package org.medsa.data.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medsa.core.MedsaException;
import org.medsa.core.io.Npy;
import org.medsa.core.io.pth.TensorData;
import org.medsa.core.io.pth.TorchDType;
import org.medsa.core.predictor.RgbImage;
import org.medsa.core.testing.Reference;

/** Reading images as the model's 8-bit RGB input: what is refused, and how gray and .npy become RGB. */
class ImageFilesTest {

    @TempDir
    Path tmp;

    @Test
    void unreadableImage() throws Exception {
        Path f = tmp.resolve("broken.png");
        Files.writeString(f, "not a png");
        MedsaException e = assertThrows(MedsaException.class, () -> ImageFiles.readRgb(f));
        assertTrue(e.getMessage().startsWith(f.toString()) && e.getMessage().contains("not a PNG, JPEG, BMP or TIFF image"),
                e.getMessage());
        MedsaException missing = assertThrows(MedsaException.class, () -> ImageFiles.readRgb(tmp.resolve("none.png")));
        assertTrue(missing.getMessage().contains("no such image file"));
    }

    @Test
    void npyImagesMustBeUint8RgbOrGray() throws Exception {
        Path f = tmp.resolve("float.npy");
        Npy.writeFloats(f, new float[12], 2, 2, 3);
        MedsaException e = assertThrows(MedsaException.class, () -> ImageFiles.readRgb(f));
        assertTrue(e.getMessage().contains("must be uint8"), e.getMessage());
    }

    @Test
    void grayNpyIsReplicatedToRgb() throws Exception {
        byte[] gray = {0, 10, (byte) 200, (byte) 255, 7, 8};
        Path f = tmp.resolve("gray.npy");
        Npy.write(f, new TensorData(TorchDType.UINT8, new long[] {2, 3}, gray));
        RgbImage img = ImageFiles.readRgb(f);
        assertEquals(2, img.height());
        assertEquals(3, img.width());
        assertArrayEquals(new byte[] {(byte) 200, (byte) 200, (byte) 200}, Arrays.copyOfRange(img.hwc(), 6, 9));
    }


    @Test
    void truncatedJpegIsRefused() throws Exception {
        // large and noisy enough that the compressed pixels, not the tables, make up most of the file
        BufferedImage img = new BufferedImage(320, 240, BufferedImage.TYPE_INT_RGB);
        Random r = new Random(1);
        for (int y = 0; y < 240; y++) {
            for (int x = 0; x < 320; x++) {
                img.setRGB(x, y, r.nextInt(1 << 24));
            }
        }
        Path whole = tmp.resolve("whole.jpg");
        ImageIO.write(img, "jpeg", whole.toFile());
        assertEquals(240, ImageFiles.readRgb(whole).height());
        byte[] bytes = Files.readAllBytes(whole);
        Path cut = tmp.resolve("cut.jpg");
        Files.write(cut, Arrays.copyOf(bytes, bytes.length * 6 / 10));
        MedsaException e = assertThrows(MedsaException.class, () -> ImageFiles.readRgb(cut));
        assertTrue(e.getMessage().startsWith(cut + ": damaged JPEG image ("), e.getMessage());
    }

    private static final String CMYK = String.join("\n",
            "import sys, json",
            "from PIL import Image",
            "Image.new('CMYK', (20, 10), (10, 200, 30, 0)).save(sys.argv[1] + '/cmyk.jpg', quality=95)",
            "print(json.dumps(dict(mode='CMYK')))");

    @Test
    void cmykJpegIsRefusedAsInspectDoes() {
        Reference.inputs("cmyk_jpeg", CMYK, List.of("PIL"), tmp);
        Path f = tmp.resolve("cmyk.jpg");
        MedsaException e = assertThrows(MedsaException.class, () -> ImageFiles.readRgb(f));
        assertEquals(f + ": CMYK or 4-channel colour images are not supported; convert to RGB", e.getMessage());
    }

    @Test
    void npyWithoutPixelsOrTooWideIsRefused() throws Exception {
        Path empty = tmp.resolve("empty.npy");
        Npy.write(empty, new TensorData(TorchDType.UINT8, new long[] {0, 0, 3}, new byte[0]));
        MedsaException e = assertThrows(MedsaException.class, () -> ImageFiles.readRgb(empty));
        assertEquals(empty + ": an image needs 1 to 65536 rows and columns, got shape [0, 0, 3]", e.getMessage());
        Path wide = tmp.resolve("wide.npy");
        Npy.write(wide, new TensorData(TorchDType.UINT8, new long[] {1, 100000, 3}, new byte[300000]));
        e = assertThrows(MedsaException.class, () -> ImageFiles.readRgb(wide));
        assertEquals(wide + ": an image needs 1 to 65536 rows and columns, got shape [1, 100000, 3]", e.getMessage());
    }
}
