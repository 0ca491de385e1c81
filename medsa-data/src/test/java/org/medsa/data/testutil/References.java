package org.medsa.data.testutil;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.IntToDoubleFunction;
import org.medsa.core.testing.LiveReferences;
import org.medsa.data.geometry.Affine;

/** Reference scripts and comparison helpers shared by the tests. */
public final class References {

    public static final Path TEMPLATES = Path.of("/usr/share/mricron/templates");

    /**
     * Prints, per NIfTI file in argv, nibabel's view: shape, dtype, zooms, affine (nibabel's best
     * affine), qform/sform codes, header fields, float64 min/max/sum of the scaled data, a weighted
     * checksum sum(v * ((31 i + 17 j + 7 k) mod 101)) and a few probe voxels.
     */
    public static final String NIBABEL_SUMMARY = String.join("\n",
            "import sys, json, numpy as np, nibabel as nib",
            "out = {}",
            "for f in sys.argv[1:]:",
            "    img = nib.load(f); h = img.header",
            "    d = np.asanyarray(img.dataobj).astype(np.float64)",
            "    if d.ndim > 3: d3 = d.reshape(d.shape[:3] + (-1,))[..., 0]",
            "    else: d3 = d.reshape(d.shape + (1,) * (3 - d.ndim))",
            "    n0, n1, n2 = d3.shape",
            "    w = (np.arange(n0)[:, None, None] * 31 + np.arange(n1)[None, :, None] * 17 + np.arange(n2)[None, None, :] * 7) "
                    + "% 101",
            "    probes = [(0, 0, 0), (n0 // 2, n1 // 2, n2 // 2), (n0 - 1, n1 - 1, n2 - 1), (n0 // 3, 2 * n1 // 3, n2 // 4), "
                    + "(17 % n0, 29 % n1, 31 % n2)]",
            "    out[f] = dict(shape=list(img.shape), dtype=str(h.get_data_dtype().name),",
            "        zooms=[float(z) for z in h.get_zooms()], affine=img.affine.tolist(),",
            "        qform_code=int(h['qform_code']), sform_code=int(h['sform_code']),",
            "        sizeof_hdr=int(h['sizeof_hdr']), magic=h['magic'].item().decode('latin1').rstrip('\\x00'),",
            "        vox_offset=int(img.dataobj.offset), endianness=h.endianness,",
            "        slope=None if img.dataobj.slope is None else float(img.dataobj.slope),",
            "        inter=None if img.dataobj.inter is None else float(img.dataobj.inter),",
            "        min=float(np.nanmin(d)), max=float(np.nanmax(d)), sum=float(np.nansum(d)),",
            "        checksum=float(np.nansum(d3 * w)),",
            "        probes=[[i, j, k, float(d3[i, j, k])] for (i, j, k) in probes],",
            "        problems=h.diagnose_binaryblock(h.binaryblock) if hasattr(h, 'diagnose_binaryblock') else '')",
            "print(json.dumps(out))");

    private References() {}

    /** True where Debian's mricron-data is installed. */
    public static boolean templatesInstalled() {
        return Files.isRegularFile(TEMPLATES.resolve("ch2.nii.gz"));
    }

    /**
     * Skips the calling test, visibly (Surefire reports it with this reason), when Debian's
     * mricron-data (a real MRI, atlases) is not installed; fails it in CI, which installs it.
     */
    public static void requireTemplates() {
        LiveReferences.assumeInstalled(templatesInstalled(), "the real MRI files of Debian's mricron-data in " + TEMPLATES);
    }

    public static Affine affine(JsonArray rows) {
        double[][] m = new double[4][4];
        for (int r = 0; r < 4; r++) {
            JsonArray row = rows.get(r).getAsJsonArray();
            for (int c = 0; c < 4; c++) {
                m[r][c] = row.get(c).getAsDouble();
            }
        }
        return Affine.of(m);
    }

    public static void assertAffine(JsonArray expectedRows, Affine actual, double tolerance, String what) {
        Affine expected = affine(expectedRows);
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 4; c++) {
                assertEquals(expected.get(r, c), actual.get(r, c), tolerance, what + " affine[" + r + "][" + c + "]");
            }
        }
    }

    /** The weighted checksum of {@link #NIBABEL_SUMMARY} over a 3D array in file (i-fastest) order. */
    public static double checksum(int nx, int ny, int nz, IntToDoubleFunction value) {
        double s = 0;
        int idx = 0;
        for (int k = 0; k < nz; k++) {
            for (int j = 0; j < ny; j++) {
                for (int i = 0; i < nx; i++, idx++) {
                    double v = value.applyAsDouble(idx);
                    if (!Double.isNaN(v)) {
                        s += v * ((31 * i + 17 * j + 7 * k) % 101);
                    }
                }
            }
        }
        return s;
    }

    public static JsonObject get(JsonObject all, Path file) {
        return all.getAsJsonObject(file.toString());
    }
}
