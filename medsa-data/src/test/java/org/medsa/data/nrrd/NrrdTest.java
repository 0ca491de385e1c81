package org.medsa.data.nrrd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medsa.core.MedsaException;
import org.medsa.core.testing.Reference;
import org.medsa.data.geometry.Affine;
import org.medsa.data.nifti.NiftiDatatype;
import org.medsa.data.nifti.NiftiHeaders;
import org.medsa.data.nifti.NiftiImage;
import org.medsa.data.nifti.NiftiReader;
import org.medsa.data.nifti.NiftiWriter;
import org.medsa.data.testutil.References;
import org.medsa.data.volume.Grid;
import org.medsa.data.volume.VolumeFiles;

/**
 * NRRD: hand-written headers read to hand-computed values and affines; files we write read back
 * by our reader and by an independent parser (a few lines of numpy over the text header and the
 * data, recorded where Python is absent), with the affine the NIfTI of the same image has.
 */
class NrrdTest {

    @TempDir
    Path dir;

    private Path file(String name, String header, byte[] data) throws Exception {
        Path f = dir.resolve(name);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(header.getBytes(StandardCharsets.US_ASCII));
        b.write(data);
        Files.write(f, b.toByteArray());
        return f;
    }

    @Test
    void readsARawLpsHeaderToItsValuesAndRasAffine() throws Exception {
        byte[] data = new byte[12];
        for (int i = 0; i < 12; i++) {
            data[i] = (byte) (i * 20);
        }
        Path f = file("raw.nrrd", "NRRD0004\n# a comment\ntype: unsigned char\ndimension: 3\nspace: left-posterior-superior\n"
                + "sizes: 3 2 2\nspace directions: (0.5,0,0) (0,0.75,0) (0,0,2)\nkinds: domain domain domain\n"
                + "endian: little\nencoding: raw\nspace origin: (10,-20,30)\nmy key:=my value\n\n", data);
        assertEquals(VolumeFiles.Kind.NRRD, VolumeFiles.kind(f));
        NiftiImage img = VolumeFiles.read(f);
        assertEquals(NiftiDatatype.UINT8, img.header().datatype());
        assertArrayEquals(new int[] {3, 2, 2}, img.grid().shape());
        for (int i = 0; i < 12; i++) {
            assertEquals((i * 20) & 0xff, img.value(i), "voxel " + i);
        }
        // LPS -> RAS: x and y change sign, in the directions and the origin
        assertAffine(new double[][] {{-0.5, 0, 0, -10}, {0, -0.75, 0, 20}, {0, 0, 2, 30}}, img.grid().affine());
    }

    @Test
    void readsGzipBigEndianInt16WithObliqueDirections() throws Exception {
        int nx = 4;
        int ny = 3;
        int nz = 2;
        ByteBuffer be = ByteBuffer.allocate(nx * ny * nz * 2).order(ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < nx * ny * nz; i++) {
            be.putShort((short) (i * 37 - 500));
        }
        ByteArrayOutputStream z = new ByteArrayOutputStream();
        try (GZIPOutputStream g = new GZIPOutputStream(z)) {
            g.write(be.array());
        }
        double c = Math.cos(Math.toRadians(30));
        double s = Math.sin(Math.toRadians(30));
        String dirs = String.format(Locale.ROOT, "(%s,%s,0) (%s,%s,0) (0,0,3)", 1.5 * c, 1.5 * s, -1.5 * s, 1.5 * c);
        Path f = file("oblique.nrrd", "NRRD0005\ntype: short\ndimension: 3\nspace: LPS\nsizes: 4 3 2\nspace directions: " + dirs
                + "\nendian: big\nencoding: gzip\nspace origin: (1,2,3)\n\n", z.toByteArray());
        NiftiImage img = VolumeFiles.read(f);
        assertEquals(NiftiDatatype.INT16, img.header().datatype());
        for (int i = 0; i < nx * ny * nz; i++) {
            assertEquals(i * 37 - 500, img.value(i), "voxel " + i);
        }
        assertAffine(new double[][] {{-1.5 * c, 1.5 * s, 0, -1}, {-1.5 * s, -1.5 * c, 0, -2}, {0, 0, 3, 3}}, img.grid().affine());
        // voxel (1, 2, 1) by hand in LPS: origin + 1·d0 + 2·d1 + 1·d2, then x and y negated
        double[] w = img.grid().affine().apply(1, 2, 1);
        assertEquals(-(1 + 1.5 * c - 3 * s), w[0], 1e-12);
        assertEquals(-(2 + 1.5 * s + 3 * c), w[1], 1e-12);
        assertEquals(6, w[2], 1e-12);
    }

    @Test
    void readsAsciiFloatsWithSpacingsOnly() throws Exception {
        Path f = file("ascii.nrrd", "NRRD0001\ntype: float\ndimension: 2\nsizes: 3 2\nspacings: 0.5 2\nencoding: ascii\n\n",
                "1.5 -2\n3e2, 4\n5 6.25\n".getBytes(StandardCharsets.US_ASCII));
        NiftiImage img = VolumeFiles.read(f);
        assertArrayEquals(new int[] {3, 2, 1}, img.grid().shape());
        double[] expected = {1.5, -2, 300, 4, 5, 6.25};
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], img.value(i), 0);
        }
        assertAffine(new double[][] {{0.5, 0, 0, 0}, {0, 2, 0, 0}, {0, 0, 1, 0}}, img.grid().affine());
    }

    @Test
    void refusesBrokenFilesInOneLineNamingThem() throws Exception {
        String head = "NRRD0004\ntype: short\ndimension: 3\nsizes: 2 2 2\nencoding: raw\n";
        List<Object[]> cases = List.of(
                new Object[] {file("truncated.nrrd", head + "endian: little\n\n", new byte[10]), "truncated"},
                new Object[] {file("long.nrrd", head + "endian: little\n\n", new byte[20]), "do not match"},
                new Object[] {file("noendian.nrrd", head + "\n", new byte[16]), "'endian' is missing"},
                new Object[] {file("detached.nhdr.nrrd", head + "endian: little\ndata file: x.raw\n\n", new byte[0]),
                    "detached"},
                new Object[] {file("four.nrrd", "NRRD0004\ntype: uchar\ndimension: 4\nsizes: 2 2 2 2\nencoding: raw\n\n",
                    new byte[16]), "4-dimensional"},
                new Object[] {file("bzip.nrrd", "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2 2 2\nencoding: bzip2\n\n",
                    new byte[8]), "bzip2"},
                new Object[] {file("notnrrd.nrrd", "hello\n\n", new byte[8]), "not an NRRD file"},
                new Object[] {file("badspace.nrrd", "NRRD0004\ntype: uchar\ndimension: 3\nsizes: 2 2 2\nspace: scanner-xyz-time\n"
                    + "space directions: (1,0,0) (0,1,0) (0,0,1)\nencoding: raw\n\n", new byte[8]), "not a patient frame"});
        for (Object[] c : cases) {
            Path f = (Path) c[0];
            MedsaException e = assertThrows(MedsaException.class, () -> VolumeFiles.read(f), f.toString());
            assertTrue(e.getMessage().startsWith(f.toString() + ": "), e.getMessage());
            assertTrue(e.getMessage().contains((String) c[1]), e.getMessage());
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
        }
    }

    /** A non-square, obliquely oriented grid (a rotation about an oblique axis, anisotropic spacing). */
    static Grid obliqueGrid() {
        double a = Math.toRadians(20);
        double b = Math.toRadians(-35);
        double[][] rz = {{Math.cos(a), -Math.sin(a), 0}, {Math.sin(a), Math.cos(a), 0}, {0, 0, 1}};
        double[][] rx = {{1, 0, 0}, {0, Math.cos(b), -Math.sin(b)}, {0, Math.sin(b), Math.cos(b)}};
        double[] sp = {0.7, 1.3, 2.5};
        double[][] m = new double[4][4];
        for (int r = 0; r < 3; r++) {
            for (int col = 0; col < 3; col++) {
                double v = 0;
                for (int k = 0; k < 3; k++) {
                    v += rz[r][k] * rx[k][col];
                }
                m[r][col] = v * sp[col];
            }
        }
        m[0][3] = -91.25;
        m[1][3] = 17.5;
        m[2][3] = 40.125;
        m[3][3] = 1;
        return new Grid(7, 5, 3, Affine.of(m));
    }

    @Test
    void writesWhatOurReaderAndAnIndependentParserReadWithTheNiftiAffine() throws Exception {
        Grid g = obliqueGrid();
        int n = g.voxelCount();
        int[] labels = new int[n];
        float[] floats = new float[n];
        for (int i = 0; i < n; i++) {
            labels[i] = (i * 7) % 5 == 0 ? 2 : (i % 3 == 0 ? 1 : 0);
            floats[i] = (float) (Math.sin(i) * 1000.25);
        }
        // the NIfTI first: its sform holds float32, and the NRRD of a NIfTI volume carries exactly that affine
        Path nii = dir.resolve("labels.nii.gz");
        NiftiWriter.write(NiftiImage.create(NiftiHeaders.forGrid(g, NiftiDatatype.UINT8).build(), labels, "labels"), nii);
        NiftiImage u8 = NiftiReader.read(nii);
        Grid fromNifti = u8.grid();
        NiftiImage i16 = NiftiImage.create(NiftiHeaders.forGrid(fromNifti, NiftiDatatype.INT16).build(), floats, "int16");
        NiftiImage f32 = NiftiImage.create(NiftiHeaders.forGrid(fromNifti, NiftiDatatype.FLOAT32).build(), floats, "float32");
        Path[] nrrd = {dir.resolve("labels.nrrd"), dir.resolve("int16_raw.nrrd"), dir.resolve("float32.nrrd")};
        NrrdWriter.write(u8, nrrd[0]);
        NrrdWriter.write(i16, nrrd[1], false);
        NrrdWriter.write(f32, nrrd[2]);
        NiftiImage[] written = {u8, i16, f32};
        Affine niftiAffine = NiftiReader.read(nii).grid().affine();
        for (int f = 0; f < 3; f++) {
            NiftiImage back = VolumeFiles.read(nrrd[f]);
            assertEquals(written[f].header().datatype(), back.header().datatype(), nrrd[f].toString());
            for (int i = 0; i < n; i++) {
                assertEquals(written[f].value(i), back.value(i), 0, nrrd[f] + " voxel " + i);
            }
            assertTrue(back.grid().affine().approximatelyEquals(niftiAffine, 1e-12), back.grid().affine() + " vs " + niftiAffine);
        }
        JsonObject py = Reference.json("nrrd_numpy_reads_ours", NUMPY_NRRD, List.of("numpy", "nibabel"), nrrd[0].toString(),
                nrrd[1].toString(), nrrd[2].toString(), nii.toString()).getAsJsonObject();
        for (int f = 0; f < 3; f++) {
            JsonObject r = py.getAsJsonObject(nrrd[f].toString());
            NiftiImage w = written[f];
            assertEquals(References.checksum(7, 5, 3, w::value), r.get("checksum").getAsDouble(), 1e-6, nrrd[f].toString());
            JsonArray shape = r.getAsJsonArray("shape");
            assertEquals(List.of(7, 5, 3), List.of(shape.get(0).getAsInt(), shape.get(1).getAsInt(), shape.get(2).getAsInt()));
            // the parser's RAS affine from the NRRD header equals nibabel's affine of the NIfTI
            References.assertAffine(r.getAsJsonArray("affine"), References.affine(py.getAsJsonObject(nii.toString())
                    .getAsJsonArray("affine")), 1e-9, nrrd[f].toString());
            References.assertAffine(r.getAsJsonArray("affine"), niftiAffine, 1e-9, nrrd[f].toString());
        }
    }

    /**
     * An NRRD parser in a few lines of numpy, independent of ours: the text header up to the blank
     * line, the data raw or gzip, first axis fastest; the RAS affine from LPS directions and origin.
     * NIfTI arguments are read with nibabel for their affine.
     */
    static final String NUMPY_NRRD = String.join("\n",
            "import sys, json, gzip, re, numpy as np",
            "out = {}",
            "for f in sys.argv[1:]:",
            "    if f.endswith('.nii.gz'):",
            "        import nibabel as nib",
            "        out[f] = dict(affine=nib.load(f).affine.tolist()); continue",
            "    raw = open(f, 'rb').read(); end = raw.index(b'\\n\\n')",
            "    lines = raw[:end].decode('ascii').split('\\n'); assert lines[0].startswith('NRRD')",
            "    h = dict(l.split(': ', 1) for l in lines[1:] if not l.startswith('#'))",
            "    data = raw[end + 2:]",
            "    if h['encoding'] == 'gzip': data = gzip.decompress(data)",
            "    dt = {'uint8': 'u1', 'int16': 'i2', 'float': 'f4'}[h['type']]",
            "    dt = np.dtype(('<' if h.get('endian', 'little') == 'little' else '>') + dt)",
            "    sizes = [int(s) for s in h['sizes'].split()]",
            "    a = np.frombuffer(data, dt).astype(np.float64).reshape(sizes[::-1]).transpose(2, 1, 0)",
            "    dirs = [[float(x) for x in v.split(',')] for v in re.findall(r'\\(([^)]*)\\)', h['space directions'])]",
            "    org = [float(x) for x in re.findall(r'\\(([^)]*)\\)', h['space origin'])[0].split(',')]",
            "    assert h['space'] == 'left-posterior-superior'",
            "    m = np.eye(4); m[:3, :3] = np.array(dirs).T; m[:3, 3] = org",
            "    m = np.diag([-1.0, -1.0, 1.0, 1.0]) @ m",
            "    n0, n1, n2 = a.shape",
            "    w = (np.arange(n0)[:, None, None] * 31 + np.arange(n1)[None, :, None] * 17"
                    + " + np.arange(n2)[None, None, :] * 7) % 101",
            "    out[f] = dict(shape=list(a.shape), affine=m.tolist(), checksum=float((a * w).sum()))",
            "print(json.dumps(out))");

    private static void assertAffine(double[][] expected, Affine a) {
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 4; c++) {
                assertEquals(expected[r][c], a.get(r, c), 1e-12, "affine[" + r + "][" + c + "] of " + a);
            }
        }
    }
}
