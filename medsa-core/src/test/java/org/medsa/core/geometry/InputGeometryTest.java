package org.medsa.core.geometry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.medsa.core.MedsaException;
import org.medsa.core.modeling.SamConfig;
import org.medsa.core.predictor.RgbImage;

/** The model's input geometry, by hand: frames, normalisation, padding, prompts and masks, on non-square images. */
class InputGeometryTest {

    private static final double[] MEAN = {123.675, 116.28, 103.53};
    private static final double[] STD = {58.395, 57.12, 57.375};

    private static InputGeometry sam(int size) {
        return new InputGeometry(InputProfile.SAM, size, MEAN, STD);
    }

    @Test
    void framesKeepTheAspectRatioInBothOrientations() {
        // SAM's get_preprocess_shape: long side = size, other = int(side * size / long + 0.5)
        assertFrame(sam(1024).frame(300, 200), 1024, 683);
        assertFrame(sam(1024).frame(200, 300), 683, 1024);
        assertFrame(sam(64).frame(217, 181), 64, 53); // a ch2 coronal slice: 181 * 64 / 217 = 53.38
        assertFrame(sam(64).frame(181, 217), 53, 64);
        assertFrame(sam(64).frame(40, 64), 40, 64); // already the right width: no resize
        assertFrame(sam(64).frame(1, 500), 1, 64); // never 0 rows
        // the stretching profiles fill the square
        assertFrame(new InputGeometry(InputProfile.MEDSAM, 64, MEAN, STD).frame(40, 64), 64, 64);
        assertFrame(new InputGeometry(InputProfile.MSA_COMPAT, 64, MEAN, STD).frame(217, 181), 64, 64);
    }

    private static void assertFrame(ImageFrame f, int h, int w) {
        assertEquals(h + "x" + w, f.inputHeight() + "x" + f.inputWidth(), f.toString());
    }

    @Test
    void samProfileNormalisesThenPadsWithZeros() {
        // a 30x20 image of one colour: inside the 48x32 resized part every value is (v - mean) / std, 0 elsewhere
        byte[] hwc = new byte[30 * 20 * 3];
        for (int i = 0; i < 30 * 20; i++) {
            hwc[3 * i] = (byte) 255;
            hwc[3 * i + 1] = 100;
            hwc[3 * i + 2] = 0;
        }
        InputGeometry.ModelInput in = sam(48).prepare(new RgbImage(30, 20, hwc));
        assertFrame(in.frame(), 48, 32);
        float[] d = in.chw();
        int plane = 48 * 48;
        assertEquals((255f - 123.675f) / 58.395f, d[10 * 48 + 5], 0f);
        assertEquals((100f - 116.28f) / 57.12f, d[plane + 47 * 48 + 31], 0f); // last pixel of the image
        assertEquals((0f - 103.53f) / 57.375f, d[2 * plane], 0f);
        assertEquals(0f, d[47 * 48 + 32], 0f); // first padded column
        assertEquals(0f, d[2 * plane + 47 * 48 + 47], 0f);
    }

    @Test
    void otherProfilesStretchAndScaleToUnitRange() {
        // a 2x4 image with values 0, 10, 20, ... 70 in every channel
        byte[] hwc = new byte[2 * 4 * 3];
        for (int i = 0; i < 8; i++) {
            for (int c = 0; c < 3; c++) {
                hwc[3 * i + c] = (byte) (10 * i);
            }
        }
        RgbImage img = new RgbImage(2, 4, hwc);
        // stretched to 4x4: Pillow enlarges the 2 rows to 4 with weights (1, 0), (0.75, 0.25), (0.25, 0.75), (0, 1)
        float[] msa = new InputGeometry(InputProfile.MSA_COMPAT, 4, MEAN, STD).prepare(img).chw();
        assertEquals(0f, msa[0], 0f);
        assertEquals(70f / 255f, msa[15], 0f);
        assertEquals(Math.round(0.75 * 10 + 0.25 * 50) / 255f, msa[4 + 1], 1e-7f); // row 1, column 1: 10 -> 50 blend
        float[] medsam = new InputGeometry(InputProfile.MEDSAM, 4, MEAN, STD).prepare(img).chw();
        assertEquals(0f, medsam[0], 0f);
        assertEquals(1f, medsam[15], 0f);
        assertEquals(Math.round(0.75 * 10 + 0.25 * 50) / 70f, medsam[5], 1e-7f);
    }

    @Test
    void promptsScaleInDoubleThenRoundOnceOnHostAndDevice() {
        ImageFrame f = sam(64).frame(217, 181);
        double[] xy = {0, 0, 180.5, 216.25, 33.3, 101.7};
        float[] host = f.toInput(xy);
        for (int i = 0; i < xy.length; i += 2) {
            assertEquals((float) (xy[i] * (53.0 / 181)), host[i], 0f);
            assertEquals((float) (xy[i + 1] * (64.0 / 217)), host[i + 1], 0f);
        }
        try (NDManager m = NDManager.newBaseManager()) {
            float[] device = f.toInput(m.create(xy, new Shape(1, 3, 2))).toFloatArray();
            assertArrayEquals(host, device, 0f);
            float[] boxes = f.toInput(m.create(new float[] {10, 20, 30, 40}, new Shape(1, 4))).toFloatArray();
            assertArrayEquals(f.toInput(new double[] {10, 20, 30, 40}), boxes, 0f);
        }
    }

    @Test
    void masksGoBackThroughTheInputSquareAndTheCrop() {
        // low-res logits of a 16 input (4x4 low-res) for a 13x7 image: 16x9 of the square is the image
        InputGeometry g = sam(16);
        ImageFrame f = g.frame(13, 7);
        assertFrame(f, 16, 9);
        Random r = new Random(3);
        float[] low = new float[2 * 4 * 4];
        for (int i = 0; i < low.length; i++) {
            low[i] = (float) r.nextGaussian();
        }
        try (NDManager m = NDManager.newBaseManager()) {
            float[] got = f.masksToOriginal(m.create(low, new Shape(1, 2, 4, 4))).toFloatArray();
            assertEquals(2 * 13 * 7, got.length);
            for (int c = 0; c < 2; c++) {
                double[] plane = new double[16];
                for (int i = 0; i < 16; i++) {
                    plane[i] = low[c * 16 + i];
                }
                double[] square = bilinear(plane, 4, 4, 16, 16);
                double[] crop = new double[16 * 9];
                for (int y = 0; y < 16; y++) {
                    System.arraycopy(square, y * 16, crop, y * 9, 9);
                }
                double[] expected = bilinear(crop, 16, 9, 13, 7);
                for (int i = 0; i < 13 * 7; i++) {
                    assertEquals(expected[i], got[c * 13 * 7 + i], 1e-5, "channel " + c + " pixel " + i);
                }
            }
            NDArray square = g.masksToInput(m.create(low, new Shape(1, 2, 4, 4)));
            assertEquals(new Shape(1, 2, 16, 16), square.getShape());
        }
    }

    /** PyTorch's bilinear interpolation with align_corners=False, written out (the reference). */
    private static double[] bilinear(double[] src, int h, int w, int oh, int ow) {
        double[] out = new double[oh * ow];
        for (int y = 0; y < oh; y++) {
            double sy = Math.max((y + 0.5) * h / oh - 0.5, 0);
            int y0 = (int) Math.floor(sy);
            int y1 = Math.min(y0 + 1, h - 1);
            double ly = sy - y0;
            for (int x = 0; x < ow; x++) {
                double sx = Math.max((x + 0.5) * w / ow - 0.5, 0);
                int x0 = (int) Math.floor(sx);
                int x1 = Math.min(x0 + 1, w - 1);
                double lx = sx - x0;
                out[y * ow + x] = (1 - ly) * ((1 - lx) * src[y0 * w + x0] + lx * src[y0 * w + x1])
                        + ly * ((1 - lx) * src[y1 * w + x0] + lx * src[y1 * w + x1]);
            }
        }
        return out;
    }

    @Test
    void targetsAreResizedLikeTheImageAndPaddedWithZero() {
        InputGeometry g = sam(8);
        ImageFrame f = g.frame(4, 2); // -> 8x4 inside an 8x8 square
        float[] t = {1, 0, 1, 0, 0, 1, 0, 1};
        float[] out = g.target(t, f);
        assertEquals(64, out.length);
        float[] inside = Resize2D.bilinear(t, 4, 2, 8, 4, true);
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 8; x++) {
                assertEquals(x < 4 ? inside[y * 4 + x] : 0f, out[y * 8 + x], 0f, "(" + y + ", " + x + ")");
            }
        }
        // enlarging twice: row 0 is row 0 of the image, column 1 blends 3/4 of column 0 and 1/4 of column 1
        assertEquals(0.75f, out[1], 1e-6f);
    }

    @Test
    void theProfileIsPartOfTheModelConfig() {
        SamConfig c = SamConfig.preset("vit_b");
        assertEquals(InputProfile.SAM, c.inputProfile());
        assertEquals("sam", c.toJson().get("input_profile").getAsString());
        c.inputProfile = "medsam";
        SamConfig back = SamConfig.fromJson(c.toJson(), "test");
        assertEquals(InputProfile.MEDSAM, InputGeometry.of(back).profile());
        c.inputProfile = "stretchy";
        MedsaException e = assertThrows(MedsaException.class, () -> SamConfig.fromJson(c.toJson(), "cfg.json"));
        assertEquals("cfg.json: invalid model config: input_profile: unknown input profile 'stretchy' (use one of sam,"
                + " medsam, msa-compat)", e.getMessage());
    }
}
