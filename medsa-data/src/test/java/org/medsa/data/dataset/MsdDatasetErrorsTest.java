package org.medsa.data.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medsa.core.MedsaException;
import org.medsa.data.geometry.Affine;
import org.medsa.data.nifti.NiftiDatatype;
import org.medsa.data.nifti.NiftiImage;
import org.medsa.data.nifti.NiftiReader;
import org.medsa.data.nifti.NiftiWriter;
import org.medsa.data.phantom.Phantom;
import org.medsa.data.volume.Grid;
import org.medsa.data.volume.ImageVolume;
import org.medsa.data.volume.LabelVolume;

/** A dataset with many different bad files reports all of them in one exception. */
class MsdDatasetErrorsTest {

    @TempDir
    Path dir;

    @Test
    void everyBadFileIsReportedAtOnce() throws IOException {
        Path root = Phantom.builder().seed(2).size(24, 20, 6).cases(9).validationCases(0).build().writeMsd(dir.resolve("bad"));
        Path images = root.resolve("imagesTr");
        Path labels = root.resolve("labelsTr");
        Grid grid = NiftiReader.read(images.resolve("phantom_000.nii.gz")).grid();

        // 0: image missing
        Files.delete(images.resolve("phantom_000.nii.gz"));
        // 1: label truncated
        byte[] gz = Files.readAllBytes(labels.resolve("phantom_001.nii.gz"));
        Files.write(labels.resolve("phantom_001.nii.gz"), Arrays.copyOf(gz, gz.length / 2));
        // 2: label with one slice fewer
        Grid shorter = new Grid(24, 20, 5, grid.affine());
        NiftiWriter.write(NiftiImage.of(new LabelVolume(shorter, new int[shorter.voxelCount()]), NiftiDatatype.UINT8),
                labels.resolve("phantom_002.nii.gz"));
        // 3: label with other spacing
        Grid coarse = new Grid(24, 20, 6, Affine.diagonal(1.5, 1.5, 5.0, 0, 0, 0));
        NiftiWriter.write(NiftiImage.of(new LabelVolume(coarse, new int[coarse.voxelCount()]), NiftiDatatype.UINT8),
                labels.resolve("phantom_003.nii.gz"));
        // 4: image with NaN voxels
        float[] nan = new float[grid.voxelCount()];
        nan[5] = Float.NaN;
        nan[9] = Float.NaN;
        NiftiWriter.write(NiftiImage.of(new ImageVolume(grid, nan), NiftiDatatype.FLOAT32), images.resolve("phantom_004.nii.gz"));
        // 5: image with a wrong magic
        editHeader(images.resolve("phantom_005.nii.gz"), b -> b.put(344, (byte) 'X'));
        // 6: label value not declared in dataset.json
        int[] nine = new int[grid.voxelCount()];
        nine[3] = 9;
        NiftiWriter.write(NiftiImage.of(new LabelVolume(grid, nine), NiftiDatatype.UINT8), labels.resolve("phantom_006.nii.gz"));
        // 7: image in an unsupported datatype (RGB24)
        editHeader(images.resolve("phantom_007.nii.gz"), b -> b.putShort(70, (short) 128));
        // 8 stays good; 9: listed in dataset.json, neither file exists
        Path json = root.resolve("dataset.json");
        JsonObject ds = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        JsonObject ghost = new JsonObject();
        ghost.addProperty("image", "./imagesTr/ghost.nii.gz");
        ghost.addProperty("label", "./labelsTr/ghost.nii.gz");
        ds.getAsJsonArray("training").add(ghost);
        Files.writeString(json, ds.toString());

        DatasetValidationException e = assertThrows(DatasetValidationException.class,
                () -> MsdDataset.slices(root).optSubset(Subset.ALL).build());
        List<String> p = e.problems();
        assertContains(p, "imagesTr/phantom_000.nii.gz: listed in dataset.json but missing");
        assertContains(p, "labelsTr/phantom_001.nii.gz: truncated gzip stream after");
        assertContains(p,
                "labelsTr/phantom_002.nii.gz: shape 24x20x5 differs from the image's 24x20x6 (imagesTr/phantom_002.nii.gz)");
        assertContains(p,
                "labelsTr/phantom_003.nii.gz: voxel spacing 1.500x1.500x5.000 mm differs from the image's 1.500x1.500x2.500 mm");
        assertContains(p, "imagesTr/phantom_004.nii.gz: 2 NaN voxel value(s), first at voxel (5, 0, 0)");
        assertContains(p, "imagesTr/phantom_005.nii.gz: wrong magic \"X+1\"");
        assertContains(p, "labelsTr/phantom_006.nii.gz: label values [9] are not among dataset.json's labels [0, 1, 2, 3, 4]");
        assertContains(p, "imagesTr/phantom_007.nii.gz: unsupported datatype RGB24 (128)");
        assertContains(p, "imagesTr/ghost.nii.gz: listed in dataset.json but missing");
        assertContains(p, "labelsTr/ghost.nii.gz: listed in dataset.json but missing");
        assertEquals(10, p.size(), String.join("\n", p));
        assertEquals(1, e.getMessage().lines().count());
        assertTrue(e.getMessage().startsWith(root + ": 10 problems: "), e.getMessage());
    }

    @Test
    void layoutProblemsAreClear() throws IOException {
        MedsaException noJson = assertThrows(MedsaException.class, () -> MsdDataset.slices(dir).build());
        assertEquals(dir.resolve("dataset.json")
                + ": file not found (an MSD dataset needs dataset.json, imagesTr/ and labelsTr/)",
                noJson.getMessage());
        Files.writeString(dir.resolve("dataset.json"), "{\"labels\": {\"0\": \"background\"}, \"training\": [");
        MedsaException broken = assertThrows(MedsaException.class, () -> MsdDataset.slices(dir).build());
        assertTrue(broken.getMessage().startsWith(dir.resolve("dataset.json") + ": malformed JSON"), broken.getMessage());
        Files.writeString(dir.resolve("dataset.json"), "{\"labels\": {\"background\": 0, \"tumour\": 1}, \"training\": []}");
        MsdDescriptor d = MsdDescriptor.read(dir);
        assertEquals("tumour", d.labels().get(1)); // the nnU-Net v2 form of "labels"
        MedsaException empty = assertThrows(MedsaException.class, () -> MsdDataset.slices(dir).build());
        assertTrue(empty.getMessage().contains("no training cases"), empty.getMessage());
    }

    private static void assertContains(List<String> problems, String expected) {
        assertTrue(problems.stream().anyMatch(p -> p.contains(expected)),
                "expected a problem containing <" + expected + "> in:\n" + String.join("\n", problems));
    }

    private interface HeaderEdit {
        void edit(ByteBuffer header);
    }

    private static void editHeader(Path gzFile, HeaderEdit edit) throws IOException {
        byte[] raw;
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(Files.readAllBytes(gzFile)))) {
            raw = in.readAllBytes();
        }
        edit.edit(ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN));
        try (GZIPOutputStream out = new GZIPOutputStream(Files.newOutputStream(gzFile))) {
            out.write(raw);
        }
    }
}
