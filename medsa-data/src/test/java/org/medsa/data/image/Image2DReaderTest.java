package org.medsa.data.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medsa.core.MedsaException;
import org.medsa.data.testutil.Python;

/** Images written by PIL are read back with the same stored samples numpy sees. */
class Image2DReaderTest {

    @TempDir
    Path dir;
    private JsonObject ref;

    private static final String PIL_WRITES = String.join("\n",
            "import sys, os, json, numpy as np",
            "from PIL import Image",
            "d = sys.argv[1]",
            "rng = np.random.default_rng(8)",
            "h, w = 11, 7",
            "g8 = rng.integers(0, 256, (h, w), dtype=np.uint8)",
            "g16 = rng.integers(0, 65536, (h, w), dtype=np.uint16); g16[0, 0] = 65535",
            "rgb = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)",
            "idx = rng.integers(0, 6, (h, w), dtype=np.uint8)",
            "pal = [0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255, 200, 100, 50, 10, 20, 30]",
            "files = {}",
            "Image.fromarray(g8, 'L').save(os.path.join(d, 'gray8.png')); files['gray8.png'] = 'L'",
            "Image.fromarray(g16).save(os.path.join(d, 'gray16.png')); files['gray16.png'] = 'I;16'",
            "Image.fromarray(rgb, 'RGB').save(os.path.join(d, 'rgb.png')); files['rgb.png'] = 'RGB'",
            "p = Image.fromarray(idx, 'P'); p.putpalette(pal); p.save(os.path.join(d, 'palette.png')); files['palette.png'] = "
                    + "'P'",
            "p.save(os.path.join(d, 'palette4.png'), bits=4); files['palette4.png'] = 'P'",
            "Image.fromarray(np.dstack([rgb, g8]), 'RGBA').save(os.path.join(d, 'rgba.png')); files['rgba.png'] = 'RGBA'",
            "Image.fromarray(np.dstack([g8, 255 - g8]), 'LA').save(os.path.join(d, 'la.png')); files['la.png'] = 'LA'",
            "Image.fromarray(rgb, 'RGB').save(os.path.join(d, 'rgb.bmp')); files['rgb.bmp'] = 'RGB'",
            "p.save(os.path.join(d, 'palette.bmp')); files['palette.bmp'] = 'P'",
            "smooth = (np.add.outer(np.arange(h) * 9, np.arange(w) * 13) % 256).astype(np.uint8)",
            "Image.fromarray(smooth, 'L').save(os.path.join(d, 'gray.jpg'), quality=95); files['gray.jpg'] = 'L'",
            "Image.fromarray(np.dstack([smooth, 255 - smooth, smooth // 2]), 'RGB').save(os.path.join(d, 'rgb.jpg'), "
                    + "quality=95); files['rgb.jpg'] = 'RGB'",
            "out = {}",
            "for f, mode in files.items():",
            "    im = Image.open(os.path.join(d, f)); a = np.asarray(im)",
            "    out[f] = dict(mode=im.mode, shape=list(a.shape), values=a.flatten().astype(int).tolist(),",
            "                  palette=(im.getpalette() or [])[:18])",
            "print(json.dumps(out))");

    @BeforeEach
    void writeWithPil() {
        ref = Python.inputs("image2d_pil_writes", PIL_WRITES, dir).getAsJsonObject();
    }

    private void assertSameAsPil(String file, Image2D.ColorType type, String dtype, int tolerance) {
        JsonObject r = ref.getAsJsonObject(file);
        Image2D img = Image2DReader.read(dir.resolve(file));
        assertEquals(type, img.colorType(), file);
        assertEquals(dtype, img.dtype(), file);
        JsonArray shape = r.getAsJsonArray("shape");
        int[] expectedShape = new int[shape.size()];
        for (int i = 0; i < expectedShape.length; i++) {
            expectedShape[i] = shape.get(i).getAsInt();
        }
        assertArrayEquals(expectedShape, img.shape(), file);
        JsonArray values = r.getAsJsonArray("values");
        assertEquals(values.size(), img.samples().length, file);
        long totalDiff = 0;
        for (int i = 0; i < values.size(); i++) {
            int diff = Math.abs(values.get(i).getAsInt() - img.samples()[i]);
            assertTrue(diff <= tolerance, file + " sample " + i + " differs by " + diff);
            totalDiff += diff;
        }
        assertTrue(totalDiff <= (long) values.size() * Math.max(tolerance, 0) / 2 + 0, file + " mean difference too large");
    }

    @Test
    void losslessFormatsMatchExactly() {
        assertSameAsPil("gray8.png", Image2D.ColorType.GRAY, "uint8", 0);
        assertSameAsPil("gray16.png", Image2D.ColorType.GRAY, "uint16", 0);
        assertSameAsPil("rgb.png", Image2D.ColorType.RGB, "uint8", 0);
        assertSameAsPil("palette.png", Image2D.ColorType.PALETTE, "uint8", 0);
        assertSameAsPil("palette4.png", Image2D.ColorType.PALETTE, "uint8", 0);
        assertSameAsPil("rgba.png", Image2D.ColorType.RGBA, "uint8", 0);
        assertSameAsPil("la.png", Image2D.ColorType.GRAY_ALPHA, "uint8", 0);
        assertSameAsPil("rgb.bmp", Image2D.ColorType.RGB, "uint8", 0);
        assertSameAsPil("palette.bmp", Image2D.ColorType.PALETTE, "uint8", 0);
        assertEquals(16, Image2DReader.read(dir.resolve("gray16.png")).bitDepth());
    }

    @Test
    void jpegMatchesWithinDecoderRounding() {
        // two JPEG decoders may differ by a level or two after the inverse DCT
        assertSameAsPil("gray.jpg", Image2D.ColorType.GRAY, "uint8", 3);
        assertSameAsPil("rgb.jpg", Image2D.ColorType.RGB, "uint8", 3);
        assertTrue(Image2DReader.read(dir.resolve("gray.jpg")).isLossy());
    }

    @Test
    void paletteIndicesAreLabelsAndColoursComeFromThePalette() {
        Image2D p = Image2DReader.read(dir.resolve("palette.png"));
        JsonArray values = ref.getAsJsonObject("palette.png").getAsJsonArray("values");
        int[] labels = p.labels();
        for (int i = 0; i < labels.length; i++) {
            assertEquals(values.get(i).getAsInt(), labels[i]);
        }
        float[] rgb = p.toRgb255();
        int n = p.height() * p.width();
        JsonArray pal = ref.getAsJsonObject("palette.png").getAsJsonArray("palette");
        for (int i = 0; i < n; i++) {
            int index = labels[i];
            assertEquals(pal.get(3 * index).getAsInt(), rgb[i], 0);
            assertEquals(pal.get(3 * index + 1).getAsInt(), rgb[n + i], 0);
            assertEquals(pal.get(3 * index + 2).getAsInt(), rgb[2 * n + i], 0);
        }
    }

    @Test
    void sixteenBitGrayScalesTo255() {
        Image2D g = Image2DReader.read(dir.resolve("gray16.png"));
        float[] rgb = g.toRgb255();
        assertEquals(255f, rgb[0], 1e-3f); // the 65535 sample
        assertEquals(g.samples()[5] * 255.0 / 65535, rgb[5], 1e-3);
        assertEquals(rgb[5], rgb[g.height() * g.width() + 5], 0); // gray repeated
    }

    @Test
    void brokenFilesAreReportedWithTheirName() throws Exception {
        Path text = dir.resolve("notes.png");
        Files.writeString(text, "not a picture");
        MedsaException e = assertThrows(MedsaException.class, () -> Image2DReader.read(text));
        assertTrue(e.getMessage().startsWith(text + ": "), e.getMessage());
        byte[] png = Files.readAllBytes(dir.resolve("rgb.png"));
        Path cut = dir.resolve("cut.png");
        Files.write(cut, Arrays.copyOf(png, png.length / 2));
        MedsaException e2 = assertThrows(MedsaException.class, () -> Image2DReader.read(cut));
        assertTrue(e2.getMessage().startsWith(cut + ": cannot decode image"), e2.getMessage());
        assertEquals(dir.resolve("gone.png") + ": file not found",
                assertThrows(MedsaException.class, () -> Image2DReader.read(dir.resolve("gone.png"))).getMessage());
    }
}
