package org.medsa.data.nifti;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.math.BigDecimal;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medsa.data.geometry.Affine;
import org.medsa.data.testutil.Python;
import org.medsa.data.testutil.References;
import org.medsa.data.volume.Grid;

/**
 * Files written by nibabel are read by us, and files written by us are read by nibabel: every
 * datatype, NIfTI-1 and -2, both byte orders, plain and gzip, scaling, qform-only / sform-only
 * / both, 4D. Values are compared voxel by voxel.
 */
class NiftiRoundTripTest {

    @TempDir
    Path dir;

    /** nibabel writes files of every kind into argv[1] and prints what it wrote. */
    private static final String NIBABEL_WRITES = String.join("\n",
            "import sys, os, json, gzip, shutil, numpy as np, nibabel as nib",
            "out_dir = sys.argv[1]",
            "rng = np.random.default_rng(1234)",
            "types = ['uint8', 'int8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'float32', 'float64']",
            "def affine(k):",
            "    a, b = np.deg2rad(20 + 7 * k), np.deg2rad(5 * k)",
            "    rz = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])",
            "    rx = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])",
            "    m = rz @ rx @ np.diag([0.7 + 0.1 * k, 1.1, 2.0 + 0.25 * k])",
            "    if k % 2: m[:, 0] *= -1",
            "    A = np.eye(4); A[:3, :3] = m; A[:3, 3] = [-10.5 + k, 20.25, -3.125 * k]",
            "    return A",
            "def values(t, shape):",
            "    n = int(np.prod(shape))",
            "    if np.dtype(t).kind in 'iu':",
            "        info = np.iinfo(t)",
            "        lo, hi = int(info.min), int(info.max)",
            "        if np.dtype(t).itemsize == 8:",
            "            v = rng.integers(lo // 2, hi // 2, size=n, dtype=t)",
            "        else:",
            "            v = rng.integers(lo, hi, size=n, endpoint=True, dtype=np.int64).astype(t)",
            "        v[0], v[1] = lo, hi",
            "    else:",
            "        v = (rng.standard_normal(n) * 1000).astype(t)",
            "        v[0], v[1], v[2] = 0.0, -1.5e-30, np.nan",
            "    return v.reshape(shape, order='F')",
            "result = {}",
            "k = 0",
            "for t in types:",
            "    for version in (1, 2):",
            "        for endian in '<>':",
            "            for gz in (False, True):",
            "                k += 1",
            "                shape = (3, 4, 2, 2) if k % 5 == 0 else (5, 4, 3)",
            "                cls = nib.Nifti1Image if version == 1 else nib.Nifti2Image",
            "                hdr = (nib.Nifti1Header if version == 1 else nib.Nifti2Header)(endianness=endian)",
            "                hdr.set_data_dtype(t)",
            "                A = affine(k % 7)",
            "                img = cls(values(t, shape), A, header=hdr)",
            "                if k % 3 == 0: img.set_qform(A, code=1); img.set_sform(None, code=0)",
            "                elif k % 3 == 1: img.set_sform(A, code=2); img.set_qform(None, code=0)",
            "                else: img.set_sform(A, code=4); img.set_qform(A, code=1)",
            "                name = '%s_v%d_%s%s' % (t, version, 'be' if endian == '>' else 'le', '.nii.gz' if gz else '.nii')",
            "                path = os.path.join(out_dir, name)",
            "                scaled = t in ('int16', 'uint8') and gz",
            "                plain = path[:-7] + '_plain.nii' if gz else path",
            "                nib.save(img, plain)",
            "                if scaled:",
            "                    with open(plain, 'r+b') as f:",
            "                        h = img.header.__class__.from_fileobj(f)",
            "                        h['scl_slope'] = 0.25; h['scl_inter'] = -3",
            "                        f.seek(0); f.write(h.binaryblock)",
            "                if gz:",
            "                    with open(plain, 'rb') as src, gzip.open(path, 'wb') as dst: shutil.copyfileobj(src, dst)",
            "                    os.remove(plain)",
            "                back = nib.load(path)",
            "                raw = np.asanyarray(back.dataobj.get_unscaled()).flatten(order='F')",
            "                result[path] = dict(dtype=t, version=version, big=endian == '>', shape=list(shape),",
            "                    raw=[int(x) for x in raw] if raw.dtype.kind in 'iu' else [float(x) for x in raw],",
            "                    scaled=[float(x) for x in back.get_fdata(dtype=np.float64).flatten(order='F')],",
            "                    affine=back.affine.tolist(), scaled_file=scaled)",
            "print(json.dumps(result))");

    @Test
    void readsEverythingNibabelWrites() {
        JsonObject written = Python.inputs("nifti_nibabel_writes", NIBABEL_WRITES, dir).getAsJsonObject();
        assertEquals(80, written.size());
        int scaledFiles = 0;
        for (Map.Entry<String, JsonElement> e : written.entrySet()) {
            Path file = Path.of(e.getKey());
            JsonObject ref = e.getValue().getAsJsonObject();
            NiftiImage img = NiftiReader.read(file);
            NiftiHeader h = img.header();
            String what = file.getFileName().toString();
            assertEquals(ref.get("dtype").getAsString(), h.datatype().typeName(), what);
            assertEquals(ref.get("version").getAsInt(), h.version(), what);
            assertEquals(ref.get("big").getAsBoolean() ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN, h.byteOrder(), what);
            JsonArray shape = ref.getAsJsonArray("shape");
            assertEquals(shape.size(), h.ndim(), what);
            for (int a = 0; a < shape.size(); a++) {
                assertEquals(shape.get(a).getAsLong(), h.dim(a), what);
            }
            JsonArray raw = ref.getAsJsonArray("raw");
            JsonArray scaled = ref.getAsJsonArray("scaled");
            assertEquals(raw.size(), img.voxelCount(), what);
            for (int i = 0; i < raw.size(); i++) {
                if (h.datatype().isInteger()) {
                    BigDecimal expected = raw.get(i).getAsBigDecimal();
                    if (h.datatype() == NiftiDatatype.UINT64) {
                        assertEquals(expected.doubleValue(), img.voxels().raw(i), 0, what + " voxel " + i);
                    } else {
                        assertEquals(expected.longValueExact(), img.voxels().rawLong(i), what + " voxel " + i);
                    }
                } else {
                    assertEquals(Double.doubleToLongBits(raw.get(i).getAsDouble()),
                            Double.doubleToLongBits(img.voxels().raw(i)), what + " voxel " + i + " bits");
                }
                double s = scaled.get(i).getAsDouble();
                if (Double.isNaN(s)) {
                    assertTrue(Double.isNaN(img.value(i)), what + " NaN voxel " + i);
                } else {
                    assertEquals(s, img.value(i), Math.abs(s) * 1e-12, what + " scaled voxel " + i);
                }
            }
            References.assertAffine(ref.getAsJsonArray("affine"), h.affine(), 1e-5, what);
            if (ref.get("scaled_file").getAsBoolean()) {
                scaledFiles++;
                assertEquals(0.25, h.effectiveSlope(), 0, what);
                assertEquals(-3, h.effectiveIntercept(), 0, what);
            }
        }
        assertEquals(8, scaledFiles);
    }

    /** nibabel reads each file of argv and prints header fields and voxels. */
    private static final String NIBABEL_READS = String.join("\n",
            "import sys, json, numpy as np, nibabel as nib",
            "result = {}",
            "for path in sys.argv[1:]:",
            "    img = nib.load(path); h = img.header",
            "    raw = np.asanyarray(img.dataobj.get_unscaled()).flatten(order='F')",
            "    result[path] = dict(dtype=h.get_data_dtype().name, endianness=h.endianness, shape=list(img.shape),",
            "        sizeof_hdr=int(h['sizeof_hdr']), magic=bytes(h['magic']).decode('latin1').rstrip('\\x00'),",
            "        vox_offset=int(img.dataobj.offset), bitpix=int(h['bitpix']), datatype=int(h['datatype']),",
            "        qform_code=int(h['qform_code']), sform_code=int(h['sform_code']),",
            "        qform=h.get_qform().tolist(), sform=h.get_sform().tolist(), zooms=[float(z) for z in h.get_zooms()],",
            "        xyzt_units=list(h.get_xyzt_units()), descrip=bytes(h['descrip']).decode('latin1').rstrip('\\x00'),",
            "        problems=h.diagnose_binaryblock(h.binaryblock),",
            "        raw=[int(x) for x in raw] if raw.dtype.kind in 'iu' else [float(x) for x in raw],",
            "        scaled=[float(x) for x in img.get_fdata(dtype=np.float64).flatten(order='F')])",
            "print(json.dumps(result))");

    @Test
    void nibabelReadsEverythingWeWrite() {
        Random rnd = new Random(99);
        List<String> paths = new ArrayList<>();
        List<double[]> expectedValues = new ArrayList<>();
        List<NiftiHeader> headers = new ArrayList<>();
        List<Affine> affines = new ArrayList<>();
        int k = 0;
        for (NiftiDatatype t : NiftiDatatype.values()) {
            for (int version = 1; version <= 2; version++) {
                for (ByteOrder order : new ByteOrder[] {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN}) {
                    k++;
                    boolean gz = k % 2 == 0;
                    boolean fourD = k % 7 == 0;
                    boolean scaled = (t == NiftiDatatype.INT16 || t == NiftiDatatype.UINT8) && gz;
                    boolean oblique = k % 3 != 0;
                    boolean leftHanded = k % 4 == 1;
                    Affine affine = testAffine(k, oblique, leftHanded);
                    Grid grid = new Grid(5, 4, 3, affine);
                    NiftiHeader.Builder b = NiftiHeaders.forGrid(grid, t).version(version).byteOrder(order)
                            .description("medsa test " + k);
                    if (fourD) {
                        b.dims(5, 4, 3, 2);
                    }
                    if (scaled) {
                        b.scaling(0.5, -7);
                    }
                    NiftiHeader h = b.build();
                    double[] values = values(t, (int) h.voxelCount(), rnd, scaled ? 0.5 : 1, scaled ? -7 : 0);
                    String name = t + "_v" + version + (order == ByteOrder.BIG_ENDIAN ? "_be" : "_le")
                            + (gz ? ".nii.gz" : ".nii");
                    Path file = dir.resolve(name);
                    NiftiWriter.write(NiftiImage.create(h, values, name), file);
                    paths.add(file.toString());
                    expectedValues.add(values);
                    headers.add(h);
                    affines.add(affine);
                }
            }
        }
        JsonObject read = Python.json("nifti_nibabel_reads_ours", NIBABEL_READS, paths.toArray(new String[0])).getAsJsonObject();
        for (int f = 0; f < paths.size(); f++) {
            JsonObject ref = read.getAsJsonObject(paths.get(f));
            NiftiHeader h = headers.get(f);
            String what = Path.of(paths.get(f)).getFileName().toString();
            assertEquals("", ref.get("problems").getAsString(), what + ": nibabel reports header problems");
            assertEquals(h.datatype().typeName(), ref.get("dtype").getAsString(), what);
            assertEquals(h.byteOrder() == ByteOrder.BIG_ENDIAN ? ">" : "<", ref.get("endianness").getAsString(), what);
            assertEquals(h.version() == 1 ? 348 : 540, ref.get("sizeof_hdr").getAsInt(), what);
            assertEquals(h.version() == 1 ? "n+1" : "n+2", ref.get("magic").getAsString().substring(0, 3), what);
            assertEquals(h.version() == 1 ? 352 : 544, ref.get("vox_offset").getAsInt(), what);
            assertEquals(h.datatype().code(), ref.get("datatype").getAsInt(), what);
            assertEquals(h.datatype().bitpix(), ref.get("bitpix").getAsInt(), what);
            assertEquals("medsa test " + (f + 1), ref.get("descrip").getAsString(), what);
            assertEquals("mm", ref.getAsJsonArray("xyzt_units").get(0).getAsString(), what);
            JsonArray shape = ref.getAsJsonArray("shape");
            long[] dims = h.dims();
            assertEquals(dims.length, shape.size(), what);
            for (int a = 0; a < dims.length; a++) {
                assertEquals(dims[a], shape.get(a).getAsLong(), what);
            }
            Affine affine = affines.get(f);
            double tol = h.version() == 1 ? 2e-5 : 1e-9; // NIfTI-1 stores float32
            assertEquals(1, ref.get("sform_code").getAsInt(), what);
            // the sform is stored as is: float32-rounded in NIfTI-1, exact in NIfTI-2
            JsonArray sform = ref.getAsJsonArray("sform");
            for (int r = 0; r < 3; r++) {
                for (int c = 0; c < 4; c++) {
                    double want = h.version() == 1 ? (double) (float) affine.get(r, c) : affine.get(r, c);
                    assertEquals(want, sform.get(r).getAsJsonArray().get(c).getAsDouble(), 0, what + " sform[" + r + "][" + c
                            + "]");
                }
            }
            assertEquals(1, ref.get("qform_code").getAsInt(), what); // rotations and flips, no shear
            References.assertAffine(ref.getAsJsonArray("qform"), affine, tol * 100, what + " qform");
            double[] spacing = affine.spacing();
            for (int a = 0; a < 3; a++) {
                assertEquals(spacing[a], ref.getAsJsonArray("zooms").get(a).getAsDouble(), tol * 10, what + " zoom");
            }
            double[] expected = expectedValues.get(f);
            JsonArray scaled = ref.getAsJsonArray("scaled");
            assertEquals(expected.length, scaled.size(), what);
            for (int i = 0; i < expected.length; i++) {
                double e = expected[i];
                double got = scaled.get(i).getAsDouble();
                if (h.datatype() == NiftiDatatype.FLOAT32) {
                    e = (float) e;
                }
                assertEquals(e, got, Math.abs(e) * 1e-15, what + " voxel " + i);
            }
        }
    }

    @Test
    void shearedAffineIsKeptInTheSformOnly() {
        Affine sheared = Affine.ofRowMajor(1, 0.5, 0, 3, 0, 1, 0, -2, 0, 0, 2, 7);
        NiftiHeader h = NiftiHeaders.forGrid(new Grid(3, 3, 3, sheared), NiftiDatatype.UINT8).build();
        assertEquals(0, h.qformCode(), "a sheared matrix is not a rotation: no qform");
        assertEquals(1, h.sformCode());
        Path file = dir.resolve("sheared.nii");
        NiftiWriter.write(NiftiImage.create(h, new double[27], "sheared"), file);
        JsonObject ref = Python.json("nifti_nibabel_reads_sheared", NIBABEL_READS, file.toString()).getAsJsonObject()
                .getAsJsonObject(file.toString());
        References.assertAffine(ref.getAsJsonArray("sform"), sheared, 1e-6, "sheared sform");
        assertEquals(0, ref.get("qform_code").getAsInt());
        assertTrue(NiftiReader.read(file).header().affine().approximatelyEquals(sheared, 1e-6));
    }

    private static Affine testAffine(int k, boolean oblique, boolean leftHanded) {
        double a = Math.toRadians(oblique ? 17 + 9 * k : 0), b = Math.toRadians(oblique ? 4 * k : 0);
        double[][] rz = {{Math.cos(a), -Math.sin(a), 0}, {Math.sin(a), Math.cos(a), 0}, {0, 0, 1}};
        double[][] rx = {{1, 0, 0}, {0, Math.cos(b), -Math.sin(b)}, {0, Math.sin(b), Math.cos(b)}};
        double[] zoom = {0.75 + 0.05 * k, 1.25, 2.5};
        double[][] rows = new double[3][4];
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 3; c++) {
                double s = 0;
                for (int m = 0; m < 3; m++) {
                    s += rz[r][m] * rx[m][c];
                }
                rows[r][c] = s * zoom[c] * (leftHanded && c == 0 ? -1 : 1);
            }
        }
        rows[0][3] = 12.5 - k;
        rows[1][3] = -30.25;
        rows[2][3] = 4.0 * k;
        return Affine.of(rows);
    }

    /** Values that the type stores exactly, including both ends of its range. */
    private static double[] values(NiftiDatatype t, int n, Random rnd, double slope, double inter) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            double stored;
            switch (t) {
                case FLOAT32:
                case FLOAT64:
                    stored = rnd.nextGaussian() * 1000;
                    break;
                case INT64:
                    stored = (double) ((rnd.nextLong() >> 12) << 10); // exactly representable as a double
                    break;
                case UINT64:
                    stored = Math.abs((double) ((rnd.nextLong() >> 12) << 10)) * 2;
                    break;
                default: {
                    double lo = t.minValue(), hi = t.maxValue();
                    stored = i == 0 ? lo : i == 1 ? hi : Math.floor(lo + rnd.nextDouble() * (hi - lo + 1));
                }
            }
            if (i == 2 && t == NiftiDatatype.UINT64) {
                stored = 1.3835058055282164E19; // 2^63 + 2^62: needs the unsigned top bit
            }
            v[i] = stored * slope + inter;
        }
        return v;
    }
}
