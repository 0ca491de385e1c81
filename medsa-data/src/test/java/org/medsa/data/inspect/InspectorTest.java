package org.medsa.data.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medsa.core.MedsaException;
import org.medsa.data.testutil.Python;
import org.medsa.data.testutil.References;

/** {@code medsa inspect} output against nibabel / numpy / PIL. */
class InspectorTest {

    @TempDir
    Path dir;

    /** What the inspect contract asks for, computed with nibabel (NIfTI) or PIL (2D images). */
    private static final String EXPECTED = String.join("\n",
            "import sys, json, numpy as np",
            "out = {}",
            "for f in sys.argv[1:]:",
            "    if f.endswith('.nii') or f.endswith('.nii.gz'):",
            "        import nibabel as nib",
            "        img = nib.load(f); h = img.header",
            "        d = img.get_fdata(dtype=np.float64)",
            "        e = dict(shape=list(img.shape), dtype=h.get_data_dtype().name, spacing=[float(z) for z in "
                    + "h.get_zooms()[:3]],",
            "                 affine=img.affine.tolist(), orientation=''.join(nib.aff2axcodes(img.affine)))",
            "    else:",
            "        from PIL import Image",
            "        d = np.asarray(Image.open(f)).astype(np.float64)",
            "        e = dict(shape=list(d.shape), dtype='uint8' if Image.open(f).mode in ('L', 'P', 'RGB', 'RGBA') else "
                    + "'uint16', spacing=[1.0, 1.0])",
            "    finite = d[np.isfinite(d)]",
            "    e.update(min=float(finite.min()), max=float(finite.max()), sum=float(finite.sum()), nan=int(np.isnan(d).sum()))",
            "    if finite.size == d.size and np.all(finite == np.round(finite)):",
            "        v, c = np.unique(finite, return_counts=True)",
            "        if len(v) <= 1000: e['labels'] = {str(int(a)): int(b) for a, b in zip(v, c)}",
            "    out[f] = e",
            "print(json.dumps(out))");

    /** Files with NaN, scaling and many distinct values, written by nibabel and PIL. */
    private static final String MAKE_FILES = String.join("\n",
            "import sys, os, numpy as np, nibabel as nib",
            "from PIL import Image",
            "d = sys.argv[1]",
            "rng = np.random.default_rng(3)",
            "f = rng.standard_normal((6, 5, 4)).astype(np.float32); f[0, 0, 0] = np.nan; f[1, 2, 3] = np.nan",
            "nib.save(nib.Nifti1Image(f, np.diag([2.0, 2.0, 3.0, 1.0])), os.path.join(d, 'nan.nii.gz'))",
            "many = rng.integers(0, 60000, (40, 40, 3)).astype(np.uint16)",
            "nib.save(nib.Nifti2Image(many, np.eye(4)), os.path.join(d, 'many.nii'))",
            "s = nib.Nifti1Image(rng.integers(-50, 50, (7, 3, 2)).astype(np.int16), np.eye(4))",
            "nib.save(s, os.path.join(d, 'scaled.nii'))",
            "with open(os.path.join(d, 'scaled.nii'), 'r+b') as fh:",
            "    h = nib.Nifti1Header.from_fileobj(fh); h['scl_slope'] = 2; h['scl_inter'] = 0.5; fh.seek(0); "
                    + "fh.write(h.binaryblock)",
            "p = Image.fromarray(rng.integers(0, 4, (9, 12)).astype(np.uint8), 'P'); p.putpalette([0, 0, 0, 255, 0, 0, 0, 255, "
                    + "0, 0, 0, 255]); p.save(os.path.join(d, 'mask.png'))",
            "Image.fromarray(rng.integers(0, 256, (8, 6, 3)).astype(np.uint8), 'RGB').save(os.path.join(d, 'photo.bmp'))",
            "print('{}')");

    @Test
    void aalMatchesNibabel() {
        References.requireTemplates();
        Path aal = References.TEMPLATES.resolve("aal.nii.gz");
        JsonObject ref = Python.json("inspect_aal", EXPECTED, aal.toString()).getAsJsonObject().getAsJsonObject(aal.toString());
        JsonObject got = Inspector.inspect(aal);
        assertContract(ref, got, aal.toString());
        assertEquals(117, got.getAsJsonObject("labels").size()); // background + 116 regions
        assertEquals("RAS", got.get("orientation").getAsString());
        assertEquals("NIfTI-1", got.get("format").getAsString());
        assertTrue(got.get("compressed").getAsBoolean());
        JsonArray affine = got.getAsJsonArray("affine");
        References.assertAffine(ref.getAsJsonArray("affine"), References.affine(affine), 1e-6, "aal");
        String text = InspectionText.format(got);
        assertTrue(text.contains("181 x 217 x 181"), text);
        assertTrue(text.contains("117 distinct integer values"), text);
    }

    @Test
    void otherFilesMatchTheirReferences() {
        Python.inputs("inspect_files", MAKE_FILES, dir);
        String[] names = {"nan.nii.gz", "many.nii", "scaled.nii", "mask.png", "photo.bmp"};
        String[] paths = new String[names.length];
        for (int i = 0; i < names.length; i++) {
            paths[i] = dir.resolve(names[i]).toString();
        }
        JsonObject ref = Python.json("inspect_expected", EXPECTED, paths).getAsJsonObject();
        for (String p : paths) {
            assertContract(ref.getAsJsonObject(p), Inspector.inspect(Path.of(p)), p);
        }
        JsonObject nan = Inspector.inspect(dir.resolve("nan.nii.gz"));
        assertEquals(2, nan.get("nan_count").getAsInt());
        assertFalse(nan.has("labels"));
        assertFalse(Inspector.inspect(dir.resolve("many.nii")).has("labels"), "more than 1000 distinct values");
        assertEquals("NIfTI-2", Inspector.inspect(dir.resolve("many.nii")).get("format").getAsString());
        assertEquals("palette", Inspector.inspect(dir.resolve("mask.png")).get("color_type").getAsString());
        assertFalse(Inspector.inspect(dir.resolve("photo.bmp")).has("labels"), "no labels for colour images");
        assertTrue(InspectionText.format(nan).contains("2 NaN"));
    }

    @Test
    void unknownOrMissingFilesAreClearErrors() {
        MedsaException missing = assertThrows(MedsaException.class, () -> Inspector.inspect(dir.resolve("x.nii.gz")));
        assertEquals(dir.resolve("x.nii.gz") + ": file not found", missing.getMessage());
        MedsaException folder = assertThrows(MedsaException.class, () -> Inspector.inspect(dir));
        assertTrue(folder.getMessage().contains("is a directory"));
    }

    private static void assertContract(JsonObject ref, JsonObject got, String what) {
        assertEquals(ref.getAsJsonArray("shape"), got.getAsJsonArray("shape"), what + " shape");
        assertEquals(ref.get("dtype").getAsString(), got.get("dtype").getAsString(), what + " dtype");
        JsonArray rs = ref.getAsJsonArray("spacing"), gs = got.getAsJsonArray("spacing");
        assertEquals(rs.size(), gs.size(), what + " spacing");
        for (int i = 0; i < rs.size(); i++) {
            assertEquals(rs.get(i).getAsDouble(), gs.get(i).getAsDouble(), 1e-6, what + " spacing");
        }
        assertEquals(ref.get("min").getAsDouble(), got.get("min").getAsDouble(), 1e-9, what + " min");
        assertEquals(ref.get("max").getAsDouble(), got.get("max").getAsDouble(), 1e-9, what + " max");
        double sum = ref.get("sum").getAsDouble();
        assertEquals(sum, got.get("sum").getAsDouble(), 1e-9 * Math.max(1, Math.abs(sum)), what + " sum");
        assertEquals(ref.get("nan").getAsLong(), got.get("nan_count").getAsLong(), what + " NaN");
        boolean colour = !what.contains(".nii") && got.getAsJsonArray("shape").size() == 3;
        if (!colour) {
            assertEquals(ref.has("labels"), got.has("labels"), what + " labels present");
        }
        if (ref.has("labels") && !colour) {
            JsonObject rl = ref.getAsJsonObject("labels"), gl = got.getAsJsonObject("labels");
            assertTrue(gl != null, what + " labels missing");
            assertEquals(rl.size(), gl.size(), what + " label count");
            for (Map.Entry<String, JsonElement> e : rl.entrySet()) {
                assertEquals(e.getValue().getAsLong(), gl.get(e.getKey()).getAsLong(), what + " label " + e.getKey());
            }
        }
    }
}
