package org.medsa.data.transforms;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medsa.data.geometry.Affine;
import org.medsa.data.nifti.NiftiDatatype;
import org.medsa.data.nifti.NiftiImage;
import org.medsa.data.nifti.NiftiReader;
import org.medsa.data.nifti.NiftiWriter;
import org.medsa.data.testutil.Python;
import org.medsa.data.testutil.References;
import org.medsa.data.volume.Grid;
import org.medsa.data.volume.ImageVolume;

/** Reorientation against nibabel's as_closest_canonical. */
class ReorientToRasTest {

    @TempDir
    Path dir;

    private static final String CANONICAL = String.join("\n",
            "import sys, json, numpy as np, nibabel as nib",
            "out = {}",
            "for f in sys.argv[1:]:",
            "    img = nib.as_closest_canonical(nib.load(f))",
            "    d = np.asanyarray(img.dataobj).astype(np.float64)",
            "    n0, n1, n2 = d.shape",
            "    w = (np.arange(n0)[:, None, None] * 31 + np.arange(n1)[None, :, None] * 17 + np.arange(n2)[None, None, :] * 7) "
                    + "% 101",
            "    out[f] = dict(shape=list(d.shape), affine=img.affine.tolist(), codes=''.join(nib.aff2axcodes(img.affine)),",
            "        checksum=float((d * w).sum()), corner=float(d[0, 0, 0]), far=float(d[-1, -1, -1]))",
            "print(json.dumps(out))");

    @Test
    void matchesNibabelOnSyntheticFiles() {
        // synthetic files in five axis orders (with a small obliquity)
        String[] codes = {"LPS", "PIR", "SLA", "ILP", "ASR"};
        List<Path> files = new ArrayList<>();
        for (String c : codes) {
            files.add(writeSynthetic(c));
        }
        check(files, "reorient_canonical");
    }

    @Test
    void matchesNibabelOnARealLasFile() {
        References.requireTemplates();
        check(List.of(References.TEMPLATES.resolve("jhu189.nii.gz")), "reorient_canonical_jhu189");
    }

    private static void check(List<Path> files, String reference) {
        JsonObject ref = Python.json(reference, CANONICAL, files.stream().map(Path::toString).toArray(String[]::new))
                .getAsJsonObject();
        for (Path f : files) {
            JsonObject r = ref.getAsJsonObject(f.toString());
            ImageVolume v = ReorientToRas.apply(NiftiReader.read(f).toImageVolume());
            Grid g = v.grid();
            JsonArray shape = r.getAsJsonArray("shape");
            assertEquals(shape.get(0).getAsInt() + "x" + shape.get(1).getAsInt() + "x" + shape.get(2).getAsInt(),
                    g.nx() + "x" + g.ny() + "x" + g.nz(), f.toString());
            assertEquals("RAS", r.get("codes").getAsString());
            assertEquals("RAS", g.orientationCode(), f.toString());
            References.assertAffine(r.getAsJsonArray("affine"), g.affine(), 1e-4, f.toString());
            float[] d = v.data();
            assertEquals(r.get("checksum").getAsDouble(), References.checksum(g.nx(), g.ny(), g.nz(), i -> d[i]), 1e-6,
                    f.toString());
            assertEquals(r.get("corner").getAsDouble(), d[0], 0, f.toString());
            assertEquals(r.get("far").getAsDouble(), d[d.length - 1], 0, f.toString());
        }
    }

    @Test
    void handMadeFlip() {
        // 3x1x1 volume whose i axis runs to the left (x = 10 - 2 i): voxel 2 (x = 6) is the leftmost, so it comes first in RAS
        Grid las = new Grid(3, 1, 1, Affine.diagonal(-2, 1, 1, 10, 0, 0));
        ImageVolume v = ReorientToRas.apply(new ImageVolume(las, new float[] {1, 2, 3}));
        assertEquals(3, v.data()[0]);
        assertEquals(1, v.data()[2]);
        // the voxel with value 3 was at x = 10 - 2 * 2 = 6 mm and must still be there
        assertEquals(6, v.grid().affine().apply(0, 0, 0)[0], 1e-12);
        assertEquals(2, v.grid().affine().get(0, 0), 0);
    }

    private Path writeSynthetic(String code) {
        int[] size = {7, 5, 4};
        double[][] rows = new double[3][4];
        String pos = "RAS", neg = "LPI";
        for (int v = 0; v < 3; v++) {
            char ch = code.charAt(v);
            int w = pos.indexOf(ch) >= 0 ? pos.indexOf(ch) : neg.indexOf(ch);
            rows[w][v] = (pos.indexOf(ch) >= 0 ? 1 : -1) * (1.0 + 0.5 * v);
            rows[(w + 1) % 3][v] = 0.08; // slightly oblique
        }
        rows[0][3] = 3;
        rows[1][3] = -4;
        rows[2][3] = 5;
        Grid grid = new Grid(size, Affine.of(rows));
        float[] data = new float[grid.voxelCount()];
        for (int i = 0; i < data.length; i++) {
            data[i] = (i * 37) % 101;
        }
        Path f = dir.resolve(code + ".nii.gz");
        NiftiWriter.write(NiftiImage.of(new ImageVolume(grid, data), NiftiDatatype.INT16), f);
        return f;
    }
}
