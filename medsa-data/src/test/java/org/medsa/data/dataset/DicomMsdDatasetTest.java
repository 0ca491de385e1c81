package org.medsa.data.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medsa.core.MedsaException;
import org.medsa.data.dicom.TestSeries;
import org.medsa.data.geometry.Affine;
import org.medsa.data.nifti.NiftiDatatype;
import org.medsa.data.nifti.NiftiImage;
import org.medsa.data.nifti.NiftiWriter;
import org.medsa.data.volume.Grid;
import org.medsa.data.volume.LabelVolume;
import org.medsa.data.volume.VolumePair;

/**
 * An MSD-like folder whose images are DICOM series (one folder per case) and whose labels are NIfTI
 * files on the series' grid: the dataset serves exactly the labelled slices, with the labels where
 * they were drawn, and the original volumes are the series' Hounsfield units.
 */
class DicomMsdDatasetTest {

    @TempDir
    Path tmp;

    /** Label 1 on columns 4..12, rows 3..10 and slices k0..k1 of the series grid. */
    static void writeLabel(Path file, Affine affine, int k0, int k1) throws Exception {
        Grid g = new Grid(TestSeries.COLS, TestSeries.ROWS, TestSeries.SLICES, affine);
        int[] labels = new int[g.voxelCount()];
        for (int k = k0; k <= k1; k++) {
            for (int j = 3; j <= 10; j++) {
                for (int i = 4; i <= 12; i++) {
                    labels[g.index(i, j, k)] = 1;
                }
            }
        }
        Files.createDirectories(file.getParent());
        NiftiWriter.write(NiftiImage.of(new LabelVolume(g, labels), NiftiDatatype.UINT8), file);
    }

    Path writeDataset(Affine labelAffine) throws Exception {
        Path root = tmp.resolve("dicom_msd");
        TestSeries.write(root.resolve("imagesTr/ct_a"), "1.2.826.0.1.3680043.10.511.30", -1, false);
        TestSeries.write(root.resolve("imagesTr/ct_b"), "1.2.826.0.1.3680043.10.511.31", -1, false);
        writeLabel(root.resolve("labelsTr/ct_a.nii.gz"), labelAffine, 1, 5);
        writeLabel(root.resolve("labelsTr/ct_b.nii.gz"), labelAffine, 2, 4);
        Files.writeString(root.resolve("dataset.json"),
                MsdDescriptor.toJson("dicom", Map.of(0, "CT"), Map.of(0, "background", 1, "box"),
                List.of(new String[] {"./imagesTr/ct_a", "./labelsTr/ct_a.nii.gz"},
                        new String[] {"./imagesTr/ct_b", "./labelsTr/ct_b.nii.gz"}),
                null).toString());
        return root;
    }

    @Test
    void seriesFoldersAreCases() throws Exception {
        Path root = writeDataset(TestSeries.expectedAffine());
        MsdDataset ds = MsdDataset.slices(root).optSubset(Subset.ALL).build();
        assertEquals(List.of("ct_a", "ct_b"), ds.caseIds());
        // slices 1..5 of ct_a and 2..4 of ct_b, each with the 9 x 8 box (reorientation to RAS flips i and j only)
        Map<String, Integer> perCase = new TreeMap<>();
        for (long i = 0; i < ds.size(); i++) {
            SampleInfo info = ds.info(i);
            perCase.merge(info.caseId(), 1, Integer::sum);
            float sum = 0;
            for (float t : ds.sample(i).target()) {
                sum += t;
            }
            assertEquals(72, sum, 0, info.toString());
        }
        assertEquals(Map.of("ct_a", 5, "ct_b", 3), perCase);
        VolumePair original = ds.originalVolumes("ct_a");
        Grid g = original.image().grid();
        assertTrue(g.affine().cornerDistance(TestSeries.expectedAffine(), g.nx(), g.ny(), g.nz()) < 1e-6);
        assertEquals(2.0 * TestSeries.stored(5, 6, 3) - 1024, original.image().get(5, 6, 3), 0);
        assertEquals(1, original.label().get(4, 3, 1));
        assertEquals(0, original.label().get(4, 3, 0));
    }

    @Test
    void aLabelOffTheSeriesGridIsRefused() throws Exception {
        Affine a = TestSeries.expectedAffine();
        double[][] rows = a.toRows();
        rows[2][3] += 3 * TestSeries.STEP; // three slices away
        Path root = writeDataset(Affine.of(rows));
        MedsaException e = assertThrows(MedsaException.class, () -> MsdDataset.slices(root).optSubset(Subset.ALL).build());
        assertTrue(e.getMessage().contains("ct_a"), e.getMessage());
    }
}
