package org.medsa.data.nifti;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.medsa.data.testutil.Python;
import org.medsa.data.testutil.References;
import org.medsa.data.volume.Grid;

/** Our reader against nibabel on the real files shipped by Debian's mricron-data. */
class NiftiRealFilesTest {

    private static final List<Path> FILES = List.of(
            References.TEMPLATES.resolve("ch2.nii.gz"), // uint8 T1 MRI, sform only (MNI)
            References.TEMPLATES.resolve("aal.nii.gz"), // uint8 atlas, 116 labels
            References.TEMPLATES.resolve("jhu189.nii.gz"), // LAS, qform and sform, extensions area
            References.TEMPLATES.resolve("inia19-NeuroMaps.nii.gz"), // int16
            References.TEMPLATES.resolve("inia19-t1-brain.nii.gz")); // float32
    private static JsonObject reference;

    @BeforeAll
    static void nibabel() {
        if (!References.templatesInstalled()) {
            return; // each test reports itself as skipped, with the reason
        }
        for (Path f : FILES) {
            assertTrue(f.toFile().isFile(), f + " missing: install the Debian package mricron-data");
        }
        reference = Python.json("nifti_mricron_templates", References.NIBABEL_SUMMARY, FILES.stream().map(Path::toString)
                .toArray(String[]::new))
                .getAsJsonObject();
    }

    @BeforeEach
    void needsTheRealFiles() {
        References.requireTemplates();
    }

    @Test
    void headersAgreeWithNibabel() {
        for (Path f : FILES) {
            JsonObject ref = References.get(reference, f);
            NiftiHeader h = NiftiReader.readHeader(f);
            assertEquals(1, h.version(), f.toString());
            assertEquals(ref.get("dtype").getAsString(), h.datatype().typeName(), f + " dtype");
            long[] shape = new long[ref.getAsJsonArray("shape").size()];
            for (int a = 0; a < shape.length; a++) {
                shape[a] = ref.getAsJsonArray("shape").get(a).getAsLong();
            }
            assertEquals(Arrays.toString(shape), Arrays.toString(h.dims()), f + " shape");
            JsonArray zooms = ref.getAsJsonArray("zooms");
            for (int a = 0; a < 3; a++) {
                assertEquals(zooms.get(a).getAsDouble(), h.spacingMm()[a], 1e-6, f + " spacing " + a);
            }
            assertEquals(ref.get("qform_code").getAsInt(), h.qformCode(), f + " qform_code");
            assertEquals(ref.get("sform_code").getAsInt(), h.sformCode(), f + " sform_code");
            References.assertAffine(ref.getAsJsonArray("affine"), h.affine(), 1e-4, f.toString());
            assertEquals(ref.get("endianness").getAsString().equals("<"), h.byteOrder() == ByteOrder.LITTLE_ENDIAN);
            JsonElement slope = ref.get("slope");
            boolean scaled = !slope.isJsonNull()
                    && !(slope.getAsDouble() == 1 && ref.get("inter").getAsDouble() == 0);
            assertEquals(scaled, h.hasScaling(), f + " scaling");
            if (!slope.isJsonNull()) {
                assertEquals(slope.getAsDouble(), h.effectiveSlope(), 1e-7, f + " slope");
                assertEquals(ref.get("inter").getAsDouble(), h.effectiveIntercept(), 1e-7, f + " inter");
            }
        }
    }

    @Test
    void voxelsAgreeWithNibabel() {
        for (Path f : FILES) {
            JsonObject ref = References.get(reference, f);
            NiftiImage img = NiftiReader.read(f);
            double min = Double.POSITIVE_INFINITY, max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int i = 0; i < img.voxelCount(); i++) {
                double v = img.value(i);
                min = Math.min(min, v);
                max = Math.max(max, v);
                sum += v;
            }
            assertEquals(ref.get("min").getAsDouble(), min, 0, f + " min");
            assertEquals(ref.get("max").getAsDouble(), max, 0, f + " max");
            double refSum = ref.get("sum").getAsDouble();
            assertEquals(refSum, sum, 1e-9 * Math.abs(refSum), f + " sum");
            Grid g = img.grid();
            double checksum = References.checksum(g.nx(), g.ny(), g.nz(), img::value);
            double refChecksum = ref.get("checksum").getAsDouble();
            assertEquals(refChecksum, checksum, 1e-9 * Math.abs(refChecksum), f + " weighted checksum");
            for (JsonElement p : ref.getAsJsonArray("probes")) {
                JsonArray a = p.getAsJsonArray();
                int idx = g.index(a.get(0).getAsInt(), a.get(1).getAsInt(), a.get(2).getAsInt());
                assertEquals(a.get(3).getAsDouble(), img.value(idx), 1e-6, f + " voxel " + a);
            }
        }
    }

    @Test
    void ch2IsTheDocumentedT1Volume() {
        // the facts about the template: a 181x217x181 grid in MNI space
        NiftiImage ch2 = NiftiReader.read(References.TEMPLATES.resolve("ch2.nii.gz"));
        Grid g = ch2.grid();
        assertEquals("181x217x181", g.nx() + "x" + g.ny() + "x" + g.nz());
        assertEquals("RAS", g.orientationCode());
        assertEquals(NiftiHeader.XFORM_MNI_152, ch2.header().sformCode());
        assertEquals("sform", ch2.header().affineSource());
    }
}
