package org.medsa.data.dicom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.medsa.data.dicom.TestSeries.COLS;
import static org.medsa.data.dicom.TestSeries.ROWS;
import static org.medsa.data.dicom.TestSeries.SLICES;
import static org.medsa.data.dicom.TestSeries.expectedAffine;
import static org.medsa.data.dicom.TestSeries.stored;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medsa.core.MedsaException;
import org.medsa.core.testing.Reference;
import org.medsa.data.geometry.Affine;
import org.medsa.data.nifti.NiftiImage;
import org.medsa.data.nifti.NiftiReader;
import org.medsa.data.testutil.References;
import org.medsa.data.volume.Grid;
import org.medsa.data.volume.ImageVolume;
import org.medsa.data.volume.VolumeFiles;

/**
 * A series written slice by slice (oblique, anisotropic, names and instance numbers shuffled) reads
 * back as the source volume on the source's RAS grid; series are told apart, gaps and duplicates are
 * refused; and dcm2niix puts every voxel at the same world position.
 */
class DicomSeriesTest {

    @TempDir
    Path tmp;

    @Test
    void aShuffledSeriesReadsBackAsItsVolumeOnItsRasGrid() throws Exception {
        Path dir = TestSeries.write(tmp.resolve("ct"), "1.2.826.0.1.3680043.10.511.2", -1, false);
        DicomSeries s = DicomSeries.read(dir, null);
        Grid g = s.volume().grid();
        assertEquals(COLS + "x" + ROWS + "x" + SLICES, g.nx() + "x" + g.ny() + "x" + g.nz());
        Affine want = expectedAffine();
        for (int r = 0; r < 4; r++) {
            for (int c = 0; c < 4; c++) {
                assertEquals(want.get(r, c), g.affine().get(r, c), 1e-9, "affine[" + r + "][" + c + "]");
            }
        }
        float[] d = s.volume().data();
        for (int k = 0; k < SLICES; k++) {
            for (int j = 0; j < ROWS; j++) {
                for (int i = 0; i < COLS; i++) {
                    assertEquals(2.0 * stored(i, j, k) - 1024, d[g.index(i, j, k)], 0, "HU at " + i + "," + j + "," + k);
                }
            }
        }
        assertEquals("CT", s.modality());
        assertEquals("int16", s.storedType());
        // through the volume reader every tool uses: a NIfTI image with that affine
        NiftiImage n = VolumeFiles.read(dir);
        assertTrue(n.grid().matches(g, 1e-6));
        assertEquals(d[g.index(3, 4, 5)], n.toImageVolume().get(3, 4, 5), 0);
    }

    @Test
    void aRealMriWrittenAsSagittalSlicesReadsBackOnItsWorldGrid() throws Exception {
        References.requireTemplates();
        NiftiImage ch2 = NiftiReader.read(References.TEMPLATES.resolve("ch2.nii.gz"));
        ImageVolume src = ch2.toImageVolume();
        Grid sg = src.grid();
        int nx = sg.nx(), ny = sg.ny(), nz = sg.nz(); // 181 x 217 x 181, 1 mm, RAS, origin (-90, -125, -71)
        // sagittal slices as scanners write them: IOP 0\1\0\0\0\-1 (rows run posterior, columns downwards),
        // one file per i, 217 columns x 181 rows (not square), stored = value, modality value = 0.5 * stored - 10
        Path dir = Files.createDirectories(tmp.resolve("ch2_sagittal"));
        double[] o = {0, 1, 0, 0, 0, -1};
        double[] origin = sg.affine().apply(0, 0, 0); // RAS of voxel (0,0,0)
        for (int i = 0; i < nx; i++) {
            short[] stored = new short[ny * nz];
            for (int r = 0; r < nz; r++) {
                for (int c = 0; c < ny; c++) {
                    stored[r * ny + c] = (short) src.get(i, ny - 1 - c, nz - 1 - r);
                }
            }
            // LPS of voxel (i, ny-1, nz-1): x and y negated
            double[] ras = sg.affine().apply(i, ny - 1, nz - 1);
            double[] ipp = {-ras[0], -ras[1], ras[2]};
            DicomTestWriter.write(dir.resolve(String.format("S%03d.dcm", (i * 37) % nx)), new DicomTestWriter.Slice(
                    "1.2.826.0.1.3680043.10.511.40", "ch2 sagittal", nx - i, ipp, o, 1, 1, 1, nz, ny, stored, 0.5, -10), true);
        }
        DicomSeries series = DicomSeries.read(dir, null);
        Grid g = series.volume().grid();
        assertEquals(ny + "x" + nz + "x" + nx, g.nx() + "x" + g.ny() + "x" + g.nz());
        Affine toSource = sg.affine().inverse();
        float[] d = series.volume().data();
        double worst = 0;
        for (int k = 0; k < g.nz(); k++) {
            for (int j = 0; j < g.ny(); j++) {
                for (int i = 0; i < g.nx(); i++) {
                    double[] w = g.affine().apply(i, j, k);
                    double[] v = toSource.apply(w[0], w[1], w[2]);
                    int a = (int) Math.round(v[0]), b = (int) Math.round(v[1]), c = (int) Math.round(v[2]);
                    worst = Math.max(worst, Math.max(Math.abs(v[0] - a), Math.max(Math.abs(v[1] - b), Math.abs(v[2] - c))));
                    float want = 0.5f * src.get(a, b, c) - 10;
                    if (d[g.index(i, j, k)] != want) {
                        assertEquals(want, d[g.index(i, j, k)], 0, "value at world " + Arrays.toString(w));
                    }
                }
            }
        }
        assertTrue(worst < 1e-6, "voxel centres within " + worst + " voxels of the source's");
        // sorted along the normal (LPS -x, i.e. RAS +x): the first slice is the source's i = 0, and its last
        // column and row (posterior, inferior) the source's voxel (0, 0, 0)
        assertArrayEquals(origin, g.affine().apply(g.nx() - 1, g.ny() - 1, 0), 1e-9);
    }

    @Test
    void anRleSeriesReadsAsTheSameVolume() throws Exception {
        DicomSeries plain = DicomSeries.read(TestSeries.write(tmp.resolve("plain"), "1.2.826.0.1.3680043.10.511.8", -1, false),
                null);
        DicomSeries rle = DicomSeries.read(TestSeries.write(tmp.resolve("rle"), "1.2.826.0.1.3680043.10.511.8", -1, false,
                true), null);
        assertEquals("1.2.840.10008.1.2.5", rle.transferSyntax().uid());
        Assertions.assertArrayEquals(plain.volume().data(), rle.volume().data());
        assertTrue(rle.volume().grid().matches(plain.volume().grid(), 0));
    }

    @Test
    void seriesAreToldApartAndGapsOrDuplicatesRefused() throws Exception {
        Path dir = TestSeries.write(tmp.resolve("two"), "1.2.826.0.1.3680043.10.511.2", -1, false);
        TestSeries.write(dir.resolve("other"), "1.2.826.0.1.3680043.10.511.3", -1, false);
        MedsaException e = assertThrows(MedsaException.class, () -> DicomSeries.read(dir, null));
        assertTrue(e.getMessage().startsWith(dir + ": holds 2 series; choose one with --series UID: ")
                && e.getMessage().contains("1.2.826.0.1.3680043.10.511.2 (medsa test series, 7 files)")
                && e.getMessage().contains("1.2.826.0.1.3680043.10.511.3 (medsa test series, 7 files)"), e.getMessage());
        assertEquals(SLICES, DicomSeries.read(dir, "1.2.826.0.1.3680043.10.511.3").volume().grid().nz());

        Path gap = TestSeries.write(tmp.resolve("gap"), "1.2.826.0.1.3680043.10.511.4", 3, false);
        e = assertThrows(MedsaException.class, () -> DicomSeries.read(gap, null));
        assertTrue(e.getMessage().contains("slices are not evenly spaced: a gap of 5.000 mm") && e.getMessage()
                .contains("missing slice"),
                e.getMessage());
        Path dup = TestSeries.write(tmp.resolve("dup"), "1.2.826.0.1.3680043.10.511.5", -1, true);
        e = assertThrows(MedsaException.class, () -> DicomSeries.read(dup, null));
        assertTrue(e.getMessage().contains("two slices at the same position"), e.getMessage());
    }

    @Test
    void malformedFilesNameTheFile() throws Exception {
        Path dir = TestSeries.write(tmp.resolve("bad"), "1.2.826.0.1.3680043.10.511.6", -1, false);
        Path victim = Files.list(dir).sorted().findFirst().orElseThrow();
        byte[] all = Files.readAllBytes(victim);
        Files.write(victim, Arrays.copyOf(all, all.length - 100)); // pixel data cut short
        MedsaException e = assertThrows(MedsaException.class, () -> DicomSeries.read(dir, null));
        assertTrue(e.getMessage().startsWith(victim.toString()) && e.getMessage().contains("remain"), e.getMessage());
        // a length field that runs past the end of the file
        byte[] bad = all.clone();
        int at = indexOf(bad, new byte[] {(byte) 0xe0, 0x7f, 0x10, 0x00}); // Pixel Data's tag, little endian
        ByteBuffer.wrap(bad, at + 8, 4).order(ByteOrder.LITTLE_ENDIAN).putInt(bad.length); // runs past the end
        Files.write(victim, bad);
        e = assertThrows(MedsaException.class, () -> DicomSeries.read(dir, null));
        assertTrue(e.getMessage().startsWith(victim.toString()) && e.getMessage().contains("(7FE0,0010)"), e.getMessage());
        // rows that disagree with the pixel data's length
        bad = all.clone();
        int rows = indexOf(bad, new byte[] {0x28, 0x00, 0x10, 0x00}); // (0028,0010) US, value at +8
        bad[rows + 8] = (byte) (bad[rows + 8] + 1);
        Files.write(victim, bad);
        e = assertThrows(MedsaException.class, () -> DicomSeries.read(dir, null));
        assertTrue(e.getMessage().startsWith(victim.toString()), e.getMessage());
        // no pixel data at all
        Files.write(victim, Arrays.copyOf(all, at));
        e = assertThrows(MedsaException.class, () -> DicomSeries.read(dir, null));
        assertTrue(e.getMessage().startsWith(victim.toString()) && e.getMessage().contains("Pixel Data"), e.getMessage());
    }

    @Test
    void anOrientationOfZerosIsNamedAsSuch() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("zeros"));
        for (int k = 0; k < 3; k++) {
            DicomTestWriter.write(dir.resolve("Z" + k + ".dcm"),
                    new DicomTestWriter.Slice("1.2.826.0.1.3680043.10.511.50", "zeros", k + 1,
                    new double[] {0, 0, 2.5 * k}, new double[6], 1, 1, 2.5, 2, 2, new short[4], 1, 0), true);
        }
        MedsaException e = assertThrows(MedsaException.class, () -> DicomSeries.read(dir, null));
        assertTrue(e.getMessage().contains("Image Orientation (Patient)") && e.getMessage()
                .contains("not two perpendicular unit"),
                e.getMessage());
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }

    /** dcm2niix's conversion of the folder, as nibabel reads it: affine and voxel values. */
    static final String DCM2NIIX = String.join("\n",
            "import sys, json, os, subprocess, tempfile, glob, numpy as np, nibabel as nib",
            "out = tempfile.mkdtemp()",
            "subprocess.run(['dcm2niix', '-z', 'n', '-b', 'n', '-f', 'series', '-o', out, sys.argv[1]], check=True,",
            "               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)",
            "img = nib.load(glob.glob(os.path.join(out, '*.nii'))[0])",
            "d = img.get_fdata()  # scl_slope/scl_inter applied",
            "print(json.dumps(dict(affine=img.affine.tolist(), shape=list(d.shape), data=d.reshape(-1, order='F').tolist())))");

    @Test
    void dcm2niixPutsEveryVoxelAtTheSameWorldPosition() throws Exception {
        Path dir = TestSeries.write(tmp.resolve("d2n"), "1.2.826.0.1.3680043.10.511.7", -1, false);
        boolean tool = Files.isExecutable(Path.of("/usr/bin/dcm2niix"));
        JsonObject ref = Reference.json("dcm2niix_of_test_series", DCM2NIIX, List.of("nibabel", "numpy"), tool, dir.toString())
                .getAsJsonObject();
        double[][] rows = new double[4][4];
        JsonArray a = ref.getAsJsonArray("affine");
        for (int r = 0; r < 4; r++) {
            for (int c = 0; c < 4; c++) {
                rows[r][c] = a.get(r).getAsJsonArray().get(c).getAsDouble();
            }
        }
        Affine theirs = Affine.of(rows);
        Affine toTheirVoxels = theirs.inverse();
        JsonArray shape = ref.getAsJsonArray("shape");
        int[] n = {shape.get(0).getAsInt(), shape.get(1).getAsInt(), shape.get(2).getAsInt()};
        JsonArray data = ref.getAsJsonArray("data"); // Fortran order: i fastest
        ImageVolume ours = DicomSeries.read(dir, null).volume();
        Grid g = ours.grid();
        int compared = 0;
        for (int k = 0; k < g.nz(); k++) {
            for (int j = 0; j < g.ny(); j++) {
                for (int i = 0; i < g.nx(); i++) {
                    double[] world = g.affine().apply(i, j, k);
                    double[] v = toTheirVoxels.apply(world[0], world[1], world[2]);
                    int[] t = new int[3];
                    for (int x = 0; x < 3; x++) {
                        t[x] = (int) Math.round(v[x]);
                        assertEquals(t[x], v[x], 1e-3, "voxel centres coincide (" + i + "," + j + "," + k + ")");
                    }
                    double theirValue = data.get(t[0] + n[0] * (t[1] + n[1] * t[2])).getAsDouble();
                    assertEquals(theirValue, ours.get(i, j, k), 1e-3, "value at world " + Arrays.toString(world));
                    compared++;
                }
            }
        }
        assertEquals(COLS * ROWS * SLICES, compared);
    }
}
