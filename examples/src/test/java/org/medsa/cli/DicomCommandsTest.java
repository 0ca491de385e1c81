package org.medsa.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medsa.adapters.ModelLoader;
import org.medsa.core.io.Npy;
import org.medsa.core.modeling.Sam;
import org.medsa.core.modeling.SamConfig;
import org.medsa.core.testing.Fixtures;
import org.medsa.core.testing.TestData;
import org.medsa.data.dicom.DicomImage;
import org.medsa.data.dicom.TestSeries;
import org.medsa.data.geometry.Affine;
import org.medsa.data.nifti.NiftiDatatype;
import org.medsa.data.nifti.NiftiImage;
import org.medsa.data.nifti.NiftiReader;
import org.medsa.data.nifti.NiftiWriter;
import org.medsa.data.volume.Grid;
import org.medsa.data.volume.ImageVolume;
import org.medsa.inference.SegmentationInput;
import org.medsa.inference.VolumePrompts;
import org.medsa.inference.VolumeSegmenter;

/**
 * DICOM through the CLI contracts: {@code inspect --json} gives NIfTI's keys plus modality and
 * transfer syntax; {@code segment} on a series folder (picked with {@code --series}) writes a mask
 * on the series' RAS grid equal to segmenting the known source volume; {@code predict} on a 2D
 * DICOM file equals predicting on the windowed PNG made here by hand.
 */
class DicomCommandsTest {

    @TempDir
    static Path tmp;

    static final String UID_A = "1.2.826.0.1.3680043.10.511.20";
    static final String UID_B = "1.2.826.0.1.3680043.10.511.21";

    static String cfg() {
        return Fixtures.path("sam_tiny", "config.json").toString();
    }

    static String base() {
        return Fixtures.path("sam_tiny", "state_dict.pth").toString();
    }

    /** The series' known source volume in Hounsfield units on its expected RAS grid. */
    static ImageVolume source() {
        Grid g = new Grid(TestSeries.COLS, TestSeries.ROWS, TestSeries.SLICES, TestSeries.expectedAffine());
        float[] hu = new float[TestSeries.COLS * TestSeries.ROWS * TestSeries.SLICES];
        for (int k = 0; k < TestSeries.SLICES; k++) {
            for (int j = 0; j < TestSeries.ROWS; j++) {
                for (int i = 0; i < TestSeries.COLS; i++) {
                    hu[g.index(i, j, k)] = 2f * TestSeries.stored(i, j, k) - 1024;
                }
            }
        }
        return new ImageVolume(g, hu);
    }

    static void writeNifti(ImageVolume v, Path file) {
        NiftiWriter.write(NiftiImage.of(v, NiftiDatatype.FLOAT32), file);
    }

    @Test
    void inspectJsonOfASeriesHasNiftisKeysPlusModalityAndTransferSyntax() throws Exception {
        Path dir = TestSeries.write(tmp.resolve("inspect"), UID_A, -1, false);
        CliRunner.Result r = CliRunner.run("inspect", "--json", dir.toString());
        assertEquals(0, r.exitCode(), r.err());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();

        Path nii = tmp.resolve("same.nii");
        ImageVolume src = source();
        writeNifti(src, nii);
        CliRunner.Result rn = CliRunner.run("inspect", "--json", nii.toString());
        assertEquals(0, rn.exitCode(), rn.err());
        JsonObject n = JsonParser.parseString(rn.out()).getAsJsonObject();
        Set<String> extra = new TreeSet<>(o.keySet());
        extra.removeAll(n.keySet());
        assertTrue(o.keySet().containsAll(n.keySet()), "missing NIfTI keys: " + n.keySet() + " vs " + o.keySet());
        assertEquals(Set.of("modality", "transfer_syntax", "series_uid", "files"), extra);

        assertEquals("DICOM", o.get("format").getAsString());
        assertEquals("CT", o.get("modality").getAsString());
        assertEquals("1.2.840.10008.1.2.1 (Explicit VR Little Endian)", o.get("transfer_syntax").getAsString());
        assertEquals(UID_A, o.get("series_uid").getAsString());
        assertEquals(TestSeries.SLICES, o.get("files").getAsInt());
        assertEquals("int16", o.get("dtype").getAsString());
        assertEquals("[20,16,7]", o.get("shape").toString());
        // the same geometry and values as the NIfTI of the source volume
        for (String key : new String[] {"spacing", "affine", "orientation", "min", "max", "sum", "voxel_count"}) {
            assertJsonClose(key, n.get(key), o.get(key));
        }
        double min = Double.MAX_VALUE, max = -Double.MAX_VALUE;
        for (float v : src.data()) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        assertEquals(min, o.get("min").getAsDouble(), 0);
        assertEquals(max, o.get("max").getAsDouble(), 0);

        r = CliRunner.run("inspect", dir.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("DICOM, 1.2.840.10008.1.2.1 (Explicit VR Little Endian), 7 file(s)")
                && r.out().contains("CT, series " + UID_A), r.out());
    }

    private static void assertJsonClose(String key, JsonElement want, JsonElement got) {
        if (want.isJsonArray()) {
            JsonArray a = want.getAsJsonArray();
            JsonArray b = got.getAsJsonArray();
            assertEquals(a.size(), b.size(), key);
            for (int i = 0; i < a.size(); i++) {
                assertJsonClose(key + "[" + i + "]", a.get(i), b.get(i));
            }
        } else if (want.getAsJsonPrimitive().isNumber()) {
            // the NIfTI copy stores the affine as float32
            assertEquals(want.getAsDouble(), got.getAsDouble(), 1e-5 * Math.max(1, Math.abs(want.getAsDouble())), key);
        } else {
            assertEquals(want.getAsString(), got.getAsString(), key);
        }
    }

    @Test
    void segmentASeriesFolderWritesTheMaskOnTheSeriesGrid() throws Exception {
        Path dir = TestSeries.write(tmp.resolve("two"), UID_A, -1, false);
        TestSeries.write(dir.resolve("other"), UID_B, -1, false);
        Path mask = tmp.resolve("seg").resolve("mask.nii.gz");
        String[] common = {"segment", "--model", cfg(), "--checkpoint", base(), "--image", dir.toString(),
            "--box", "4,3,2,15,12,4", "--point", "9,8,3,1", "--out", mask.toString(), "--device", "cpu"};
        CliRunner.Result r = CliRunner.run(common);
        assertEquals(2, r.exitCode());
        assertTrue(r.err().startsWith("error: " + dir + ": holds 2 series; choose one with --series UID: ") && r.err()
                .contains(UID_B)
                && r.err().strip().lines().count() == 1, r.err());
        assertTrue(Files.notExists(mask));

        String[] picked = Arrays.copyOf(common, common.length + 2);
        picked[common.length] = "--series";
        picked[common.length + 1] = UID_B;
        r = CliRunner.run(picked);
        assertEquals(0, r.exitCode(), r.err());
        NiftiImage out = NiftiReader.read(mask);
        Affine want = TestSeries.expectedAffine();
        assertArrayEquals(new int[] {TestSeries.COLS, TestSeries.ROWS, TestSeries.SLICES}, out.grid().shape());
        for (int row = 0; row < 4; row++) {
            for (int c = 0; c < 4; c++) {
                assertEquals(want.get(row, c), out.grid().affine().get(row, c), 1e-5, "affine[" + row + "][" + c + "]");
            }
        }
        // the same mask as segmenting the known source volume with the same prompts
        int[] expected;
        try (NDManager m = NDManager.newBaseManager()) {
            Sam sam = ModelLoader.of(SamConfig.load(Path.of(cfg())), Path.of(base())).load(m);
            try (VolumeSegmenter segmenter = new VolumeSegmenter(sam, m)) {
                VolumePrompts p = new VolumePrompts().box(4, 3, 2, 15, 12, 4).point(9, 8, 3, true);
                expected = segmenter.segment(SegmentationInput.of(source(), null), p, VolumeSegmenter.Options.defaults())
                        .labels().data();
            }
        }
        int[] got = out.toLabelVolume().data();
        assertArrayEquals(expected, got);
        assertTrue(Arrays.stream(got).sum() > 0, "the mask is not empty");
        assertTrue(r.out().contains("mask: "), r.out());
    }

    @Test
    void seriesOnANiftiFileIsRefused() throws Exception {
        Path nii = tmp.resolve("plain.nii");
        writeNifti(source(), nii);
        CliRunner.Result r = CliRunner.run("inspect", "--series", UID_A, nii.toString());
        assertEquals(2, r.exitCode());
        assertTrue(r.err().startsWith("error: " + nii + ": --series applies to DICOM folders"), r.err());
        r = CliRunner.run("segment", "--model", cfg(), "--checkpoint", base(), "--image", nii.toString(), "--series", UID_A,
                "--point", "9,8,3,1", "--out", tmp.resolve("x.nii.gz").toString(), "--device", "cpu");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().startsWith("error: " + nii + ": a series UID applies to DICOM folders"), r.err());
    }

    @Test
    void predictOnA2dDicomEqualsPredictOnItsWindowedPng() throws Exception {
        Path dcm = TestData.path("dicom", "pydicom", "CT_small.dcm");
        // the CT window -175..250 HU by hand, on the modality values pydicom's cross-check verifies
        DicomImage d = DicomImage.read(dcm);
        float[] hu = d.values(0);
        BufferedImage png = new BufferedImage(d.columns(), d.rows(), BufferedImage.TYPE_INT_RGB);
        float lowest = Float.MAX_VALUE;
        for (int y = 0; y < d.rows(); y++) {
            for (int x = 0; x < d.columns(); x++) {
                float v = hu[y * d.columns() + x];
                lowest = Math.min(lowest, v);
                int g = (int) Math.round(Math.min(1, Math.max(0, (v + 175.0) / 425.0)) * 255);
                png.setRGB(x, y, g << 16 | g << 8 | g);
            }
        }
        assertTrue(lowest < -500, "auto picks the CT window for this file");
        Path pngFile = tmp.resolve("ct_small.png");
        ImageIO.write(png, "png", pngFile.toFile());

        Path outDicom = tmp.resolve("pd");
        Path outPng = tmp.resolve("pp");
        for (Object[] run : new Object[][] {{dcm, outDicom}, {pngFile, outPng}}) {
            CliRunner.Result r = CliRunner.run("predict", "--model", cfg(), "--checkpoint", base(), "--image", run[0].toString(),
                    "--point", "70,50,1", "--out", run[1].toString(), "--device", "cpu");
            assertEquals(0, r.exitCode(), r.err());
            assertTrue(r.out().startsWith("image 128x128"), r.out());
        }
        assertArrayEquals(Npy.read(outPng.resolve("low_res_logits.npy")).toFloatArray(),
                Npy.read(outDicom.resolve("low_res_logits.npy")).toFloatArray());
        BufferedImage mask = ImageIO.read(outDicom.resolve("mask.png").toFile());
        assertEquals(128, mask.getWidth());
        assertEquals(128, mask.getHeight());

        // --intensity changes the image; a multi-frame file is not a 2D image
        CliRunner.Result r = CliRunner.run("predict", "--model", cfg(), "--checkpoint", base(), "--image", dcm.toString(),
                "--intensity", "-1000,1000", "--point", "70,50,1", "--out", tmp.resolve("pw").toString(), "--device", "cpu");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(!Arrays.equals(Npy.read(outDicom.resolve("low_res_logits.npy")).toFloatArray(),
                Npy.read(tmp.resolve("pw").resolve("low_res_logits.npy")).toFloatArray()));
        Path multi = TestData.path("dicom", "pydicom", "SC_rgb_rle_2frame.dcm");
        r = CliRunner.run("predict", "--model", cfg(), "--checkpoint", base(), "--image", multi.toString(),
                "--point", "20,20,1", "--out", tmp.resolve("pm").toString(), "--device", "cpu");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().startsWith("error: " + multi + ": a DICOM file of 2 frames"), r.err());
    }
}
