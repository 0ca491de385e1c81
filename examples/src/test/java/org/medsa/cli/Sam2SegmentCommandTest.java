package org.medsa.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medsa.core.io.Npy;
import org.medsa.core.io.pth.TensorData;
import org.medsa.core.modeling.sam2.Sam2Config;
import org.medsa.core.modeling.sam2.Sam2Model;
import org.medsa.core.testing.Fixtures;
import org.medsa.data.geometry.Affine;
import org.medsa.data.nifti.NiftiDatatype;
import org.medsa.data.nifti.NiftiImage;
import org.medsa.data.nifti.NiftiReader;
import org.medsa.data.nifti.NiftiWriter;
import org.medsa.data.transforms.Intensity;
import org.medsa.data.volume.Grid;
import org.medsa.data.volume.ImageVolume;
import org.medsa.inference.Propagation;
import org.medsa.inference.SegmentationInput;
import org.medsa.inference.VolumePrompts;
import org.medsa.inference.VolumeSegmenter;

/**
 * {@code segment} with a SAM 2 model (the {@code sam2_tiny} fixture's): the fixture's volume as a
 * NIfTI (slices along k), its recorded prompts as voxel indices, {@code --propagate} — the mask
 * equals the library call's, and {@code --save-logits} writes every slice's logits equal to the
 * official predictor's.
 */
class Sam2SegmentCommandTest {

    @TempDir
    static Path tmp;
    static Path volume;

    /** The fixture's (6, 90, 70) frames as a NIfTI of (90 rows i, 70 columns j, 6 slices k), gray values 0..255. */
    @BeforeAll
    static void writeVolume() {
        TensorData v = Fixtures.npy("sam2_tiny", "volume_uint8.npy");
        int n = 6;
        int h = 90;
        int w = 70;
        float[] data = new float[n * h * w];
        byte[] b = v.bytes();
        for (int k = 0; k < n; k++) {
            for (int i = 0; i < h; i++) {
                for (int j = 0; j < w; j++) {
                    data[i + h * (j + w * k)] = b[(k * h + i) * w + j] & 0xff;
                }
            }
        }
        volume = tmp.resolve("volume.nii.gz");
        NiftiWriter.write(NiftiImage.of(new ImageVolume(new Grid(h, w, n, Affine.identity()), data), NiftiDatatype.FLOAT32),
                volume);
    }

    static String cfg() {
        return Fixtures.path("sam2_tiny", "config.json").toString();
    }

    static String ckpt() {
        return Fixtures.path("sam2_tiny", "checkpoint.pt").toString();
    }

    private static void logitsMatch(Path dir, String fixtureCase) {
        for (int k = 0; k < 6; k++) {
            Path f = dir.resolve("slice_" + k + ".npy");
            assertTrue(Files.isRegularFile(f), f + " written");
            TensorData got = Npy.read(f);
            assertArrayEquals(new long[] {90, 70}, got.shape(), "slice " + k + " shape (rows, cols)");
            float[] want = Fixtures.floats("sam2_tiny", fixtureCase, "frame" + k + "_logits.npy");
            float[] g = got.toFloatArray();
            for (int p = 0; p < want.length; p++) {
                assertEquals(want[p], g[p], 5e-5, fixtureCase + " slice " + k + " pixel " + p);
                assertEquals(want[p] > 0, g[p] > 0, fixtureCase + " slice " + k + " mask pixel " + p);
            }
        }
    }

    @Test
    void aClickOnTheMiddleSlicePropagatedBothWays() throws Exception {
        Path out = tmp.resolve("click").resolve("mask.nii.gz");
        Path logits = tmp.resolve("click").resolve("logits");
        // the fixture's click at x = 35, y = 42 on frame 3: row i = 42, column j = 35, slice k = 3
        CliRunner.Result r = CliRunner.run("segment", "--model", cfg(), "--checkpoint", ckpt(), "--image", volume.toString(),
                "--point", "42,35,3,1", "--intensity", "0,255", "--propagate", "--save-logits", logits.toString(),
                "--out", out.toString(), "--device", "cpu");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("logits: 6 slice(s)"), r.out());
        logitsMatch(logits, "click_middle");
        int[] want;
        try (NDManager m = NDManager.newBaseManager()) {
            Sam2Model model = Sam2Model.load(Sam2Config.load(Path.of(cfg())), Path.of(ckpt()), m);
            try (VolumeSegmenter vs = new VolumeSegmenter(model, m)) {
                want = vs.segment(SegmentationInput.read(volume), new VolumePrompts().point(42, 35, 3, true),
                        VolumeSegmenter.Options.builder().intensity(Intensity.parse("0,255"))
                                .propagate(Propagation.Direction.BOTH, Integer.MAX_VALUE).build()).labels().data();
            }
        }
        assertArrayEquals(want, NiftiReader.read(out).toLabelVolume().data());
        long labelled = Arrays.stream(want).filter(x -> x != 0).count();
        assertEquals(856 + 807 + 786 + 715 + 633 + 543, labelled, "the fixture's foreground pixels on all 6 slices");
    }

    @Test
    void aBoxThenASecondPromptedSliceTrackedUp() throws Exception {
        Path out = tmp.resolve("box").resolve("mask.nii.gz");
        Path logits = tmp.resolve("box").resolve("logits");
        // box x 18..52, y 18..65 on frame 0; clicks (32, 45) + and (4, 4) − on frame 4
        CliRunner.Result r = CliRunner.run("segment", "--model", cfg(), "--checkpoint", ckpt(), "--image", volume.toString(),
                "--box", "18,18,0,65,52,0", "--point", "45,32,4,1", "--point", "4,4,4,0", "--intensity", "0,255",
                "--propagate", "up", "--save-logits", logits.toString(), "--out", out.toString(), "--device", "cpu");
        assertEquals(0, r.exitCode(), r.err());
        logitsMatch(logits, "box_then_correct");
    }

    @Test
    void sam2RefusesWhatOnlySamHasAndTakesAdapters() throws Exception {
        Path out = tmp.resolve("refused.nii.gz");
        CliRunner.Result r = CliRunner.run("segment", "--model", cfg(), "--checkpoint", ckpt(), "--image", volume.toString(),
                "--point", "42,35,3,1", "--propagate", "--propagate-min-iou", "0.5", "--out", out.toString(), "--device", "cpu");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("--propagate-min-iou applies to SAM models"), r.err());
        // Med-SA's adapters as built (zero up-projections) leave SAM 2's mask as it is
        Path plain = tmp.resolve("plain.nii.gz");
        Path adapted = tmp.resolve("adapted.nii.gz");
        r = CliRunner.run("segment", "--model", cfg(), "--checkpoint", ckpt(), "--image", volume.toString(),
                "--point", "42,35,3,1", "--out", plain.toString(), "--device", "cpu");
        assertEquals(0, r.exitCode(), r.err());
        r = CliRunner.run("segment", "--model", cfg(), "--checkpoint", ckpt(), "--image", volume.toString(),
                "--point", "42,35,3,1", "--adapters", "paper", "--out", adapted.toString(), "--device", "cpu");
        assertEquals(0, r.exitCode(), r.err());
        assertArrayEquals(NiftiReader.read(plain).toLabelVolume().data(), NiftiReader.read(adapted).toLabelVolume().data());
        r = CliRunner.run("params", "--model", "sam2.1_hiera_t", "--volumetric");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("SD-Trans"), r.err());
        assertEquals(1, r.err().strip().lines().count(), r.err());
        r = CliRunner.run("params", "--model", "sam2.1_hiera_t", "--json");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("\"memory_attention\"") && r.out().contains("\"trainable\":3650880"), r.out());
    }
}
