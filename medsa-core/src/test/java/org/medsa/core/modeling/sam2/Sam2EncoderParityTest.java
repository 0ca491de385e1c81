package org.medsa.core.modeling.sam2;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.medsa.core.geometry.InputGeometry;
import org.medsa.core.io.pth.TensorData;
import org.medsa.core.predictor.RgbImage;
import org.medsa.core.testing.Fixtures;
import org.medsa.core.testing.ParityTest;
import org.medsa.core.testing.Tolerance;

/**
 * SAM 2's frame transform and image encoder against the official code's arrays
 * ({@code sam2_tiny}): the model input of every frame, and frame 0's backbone levels (after the
 * decoder's high-resolution projections) and positional encodings.
 */
class Sam2EncoderParityTest extends ParityTest {

    static final String FIXTURE = "sam2_tiny";

    static Sam2Model model(NDManager m) {
        return Sam2Model.load(Sam2Config.load(Fixtures.path(FIXTURE, "config.json")), Fixtures.path(FIXTURE, "checkpoint.pt"), m);
    }

    /** Frame {@code f} of the fixture volume as the gray image the official loader reads. */
    static RgbImage frame(int f) {
        TensorData vol = Fixtures.npy(FIXTURE, "volume_uint8.npy");
        int h = (int) vol.shape()[1];
        int w = (int) vol.shape()[2];
        byte[] rgb = new byte[h * w * 3];
        byte[] all = vol.bytes();
        for (int i = 0; i < h * w; i++) {
            byte v = all[f * h * w + i];
            rgb[3 * i] = v;
            rgb[3 * i + 1] = v;
            rgb[3 * i + 2] = v;
        }
        return new RgbImage(h, w, rgb);
    }

    @Test
    void frameTransformIsBitExact() {
        float[] ref = Fixtures.floats(FIXTURE, "images.npy");
        InputGeometry g = InputGeometry.sam2(128);
        int plane = 3 * 128 * 128;
        for (int f = 0; f < 6; f++) {
            float[] got = g.prepare(frame(f)).chw();
            float[] want = new float[plane];
            System.arraycopy(ref, f * plane, want, 0, plane);
            assertArrayEquals(want, got, 0f, "frame " + f);
        }
    }

    @Test
    void encoderMatchesFrameZero() {
        try (NDManager m = manager.newSubManager()) {
            Sam2Model model = model(m);
            NDArray input = m.create(InputGeometry.sam2(128).prepare(frame(0)).chw(), new Shape(1, 3, 128, 128));
            Sam2Model.ImageFeatures f = model.encodeImage(null, input, false);
            double atol = 1e-5;
            Tolerance.assertClose("backbone_fpn0", Fixtures.floats(FIXTURE, "frame0_backbone_fpn0.npy"),
                    f.highRes()[0].toFloatArray(), atol, 1e-5);
            Tolerance.assertClose("backbone_fpn1", Fixtures.floats(FIXTURE, "frame0_backbone_fpn1.npy"),
                    f.highRes()[1].toFloatArray(), atol, 1e-5);
            Tolerance.assertClose("backbone_fpn2", Fixtures.floats(FIXTURE, "frame0_backbone_fpn2.npy"),
                    f.top().toFloatArray(), atol, 1e-5);
            PositionEmbeddingSine pe = new PositionEmbeddingSine(model.config().neck.positionEncoding);
            int[] sides = {32, 16, 8};
            for (int i = 0; i < 3; i++) {
                Tolerance.assertClose("vision_pos_enc" + i, Fixtures.floats(FIXTURE, "frame0_vision_pos_enc" + i + ".npy"),
                        pe.encode(sides[i], sides[i], input.getDevice(), m).toFloatArray(), 1e-6, 0);
            }
            Tolerance.assertClose("vision_pos_enc of the top level", Fixtures.floats(FIXTURE, "frame0_vision_pos_enc2.npy"),
                    f.topPos().toFloatArray(), 1e-6, 0);
        }
    }

    /**
     * The trunk in bfloat16 ({@code --precision bf16}) against the official float32 features of
     * frame 0: every FPN level within 3 % of its largest magnitude (as SAM 1's bf16 encoder).
     */
    @Test
    void trunkInBfloat16StaysNearTheFloat32Features() {
        try (NDManager m = manager.newSubManager()) {
            Sam2Model model = model(m);
            model.imageEncoder().computeType(DataType.BFLOAT16);
            NDArray input = m.create(InputGeometry.sam2(128).prepare(frame(0)).chw(), new Shape(1, 3, 128, 128));
            Sam2Model.ImageFeatures f = model.encodeImage(null, input, false);
            String[] names = {"frame0_backbone_fpn0.npy", "frame0_backbone_fpn1.npy", "frame0_backbone_fpn2.npy"};
            NDArray[] got = {f.highRes()[0], f.highRes()[1], f.top()};
            for (int l = 0; l < 3; l++) {
                assertEquals(DataType.FLOAT32, got[l].getDataType(), "the neck's output is float32");
                float[] ref = Fixtures.floats(FIXTURE, names[l]);
                float[] g = got[l].toFloatArray();
                double max = 0;
                double err = 0;
                for (int i = 0; i < ref.length; i++) {
                    max = Math.max(max, Math.abs(ref[i]));
                    err = Math.max(err, Math.abs(ref[i] - g[i]));
                }
                System.out.printf(Locale.ROOT, "sam2_tiny bf16 trunk, %s: %.2f %% of the largest value%n", names[l],
                        100 * err / max);
                assertTrue(err <= 0.03 * max, names[l] + ": " + err + " of " + max);
                assertTrue(err > 1e-4 * max, "bfloat16 changed nothing");
            }
        }
    }
}
