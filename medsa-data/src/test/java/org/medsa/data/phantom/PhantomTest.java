package org.medsa.data.phantom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medsa.data.testutil.Python;
import org.medsa.data.testutil.References;
import org.medsa.data.transforms.ReorientToRas;
import org.medsa.data.volume.Grid;
import org.medsa.data.volume.LabelVolume;
import org.medsa.data.volume.VolumePair;

class PhantomTest {

    @TempDir
    Path dir;

    @Test
    void sameSeedSameVolumesOtherSeedOtherVolumes() {
        Phantom a = Phantom.builder().seed(5).size(32, 32, 12).cases(3).build();
        Phantom b = Phantom.builder().seed(5).size(32, 32, 12).cases(3).build();
        Phantom c = Phantom.builder().seed(6).size(32, 32, 12).cases(3).build();
        assertArrayEquals(a.generate(2).volumes().image().data(), b.generate(2).volumes().image().data(), 0f);
        assertArrayEquals(a.generate(2).volumes().label().data(), b.generate(2).volumes().label().data());
        assertFalse(Arrays.equals(a.generate(2).volumes().label().data(), c.generate(2).volumes().label().data()));
        assertFalse(Arrays.equals(a.generate(1).volumes().label().data(), a.generate(2).volumes().label().data()));
    }

    @Test
    void renderingsShareTheAnatomyButNotTheContrast() {
        Phantom ct = Phantom.builder().seed(9).cases(2).rendering(Rendering.CT).build();
        Phantom mr = Phantom.builder().seed(9).cases(2).rendering(Rendering.MR).build();
        VolumePair c = ct.generate(0).volumes();
        VolumePair m = mr.generate(0).volumes();
        assertArrayEquals(c.label().data(), m.label().data());
        double[] ctMeans = interiorMeans(c);
        double[] mrMeans = interiorMeans(m);
        // CT: nominal HU inside organs (noise averages out; edges excluded)
        assertEquals(60, ctMeans[1], 8);
        assertEquals(110, ctMeans[2], 8);
        assertEquals(180, ctMeans[3], 8);
        assertEquals(600, ctMeans[4], 15);
        // ordering differs: CT spleen > liver, spine brightest; MR kidney > spleen > liver > spine
        assertTrue(ctMeans[4] > ctMeans[3] && ctMeans[3] > ctMeans[2] && ctMeans[2] > ctMeans[1]);
        assertTrue(mrMeans[3] > mrMeans[2] && mrMeans[2] > mrMeans[1] && mrMeans[1] > mrMeans[4],
                Arrays.toString(mrMeans));
    }

    @Test
    void everyCaseHasEveryOrgan() {
        Phantom p = Phantom.builder().seed(1).cases(6).build();
        for (int i = 0; i < 6; i++) {
            LabelVolume l = p.generate(i).volumes().label();
            for (int organ = 1; organ <= 4; organ++) {
                assertTrue(l.count(organ) > 200, "case " + i + " organ " + organ + ": " + l.count(organ));
            }
        }
    }

    @Test
    void orientationOnlyChangesTheVoxelOrder() {
        Phantom ras = Phantom.builder().seed(4).size(40, 36, 10).cases(2).build();
        Phantom lps = Phantom.builder().seed(4).size(40, 36, 10).cases(2).orientation("LPS").build();
        assertEquals("LPS", lps.grid().orientationCode());
        LabelVolume back = ReorientToRas.apply(lps.generate(1).volumes().label());
        LabelVolume direct = ras.generate(1).volumes().label();
        assertTrue(back.grid().matches(direct.grid(), 1e-9));
        assertArrayEquals(direct.data(), back.data());
    }

    private static final String CHECK_WRITTEN = String.join("\n",
            "import sys, os, json, numpy as np, nibabel as nib",
            "root = sys.argv[1]",
            "ds = json.load(open(os.path.join(root, 'dataset.json')))",
            "out = dict(labels=ds['labels'], modality=ds['modality'], training=len(ds['training']), "
                    + "validation=len(ds['validation']), files={})",
            "for e in ds['training'] + ds['validation']:",
            "    for key in ('image', 'label'):",
            "        img = nib.load(os.path.join(root, e[key])); h = img.header",
            "        d = np.asanyarray(img.dataobj).astype(np.float64)",
            "        n0, n1, n2 = d.shape",
            "        w = (np.arange(n0)[:, None, None] * 31 + np.arange(n1)[None, :, None] * 17 + np.arange(n2)[None, None, :] "
                    + "* 7) % 101",
            "        out['files'][e[key]] = dict(dtype=h.get_data_dtype().name, shape=list(d.shape), "
                    + "offset=int(img.dataobj.offset),",
            "            magic=bytes(h['magic']).decode('latin1').rstrip('\\x00'), "
                    + "problems=h.diagnose_binaryblock(h.binaryblock),",
            "            codes=''.join(nib.aff2axcodes(img.affine)), zooms=[float(z) for z in h.get_zooms()], checksum=float((d "
                    + "* w).sum()))",
            "print(json.dumps(out))");

    @Test
    void writesAValidMsdDatasetQuickly() {
        long start = System.nanoTime();
        Phantom p = Phantom.builder().seed(3).cases(10).rendering(Rendering.CT).build();
        Path root = p.writeMsd(dir.resolve("ct"));
        double seconds = (System.nanoTime() - start) / 1e9;
        assertTrue(seconds < 15, "10 phantom volumes took " + seconds + " s");
        JsonObject ref = Python.json("phantom_written", CHECK_WRITTEN, root.toString()).getAsJsonObject();
        assertEquals("liver", ref.getAsJsonObject("labels").get("1").getAsString());
        assertEquals("spine", ref.getAsJsonObject("labels").get("4").getAsString());
        assertEquals("CT", ref.getAsJsonObject("modality").get("0").getAsString());
        assertEquals(8, ref.get("training").getAsInt());
        assertEquals(2, ref.get("validation").getAsInt());
        JsonObject files = ref.getAsJsonObject("files");
        assertEquals(20, files.size());
        for (int i = 0; i < 10; i++) {
            VolumePair v = p.generate(i).volumes();
            JsonObject img = files.getAsJsonObject("./imagesTr/" + Phantom.caseId(i) + ".nii.gz");
            JsonObject lab = files.getAsJsonObject("./labelsTr/" + Phantom.caseId(i) + ".nii.gz");
            assertEquals("int16", img.get("dtype").getAsString());
            assertEquals("uint8", lab.get("dtype").getAsString());
            for (JsonObject f : new JsonObject[] {img, lab}) {
                assertEquals("", f.get("problems").getAsString());
                assertEquals(352, f.get("offset").getAsInt());
                assertEquals("n+1", f.get("magic").getAsString());
                assertEquals("RAS", f.get("codes").getAsString());
                assertEquals(1.5, f.getAsJsonArray("zooms").get(0).getAsDouble(), 1e-6);
                assertEquals(2.5, f.getAsJsonArray("zooms").get(2).getAsDouble(), 1e-6);
            }
            Grid g = v.grid();
            assertEquals(References.checksum(g.nx(), g.ny(), g.nz(), k -> v.image().data()[k]), img.get("checksum")
                    .getAsDouble(), 1e-6);
            assertEquals(References.checksum(g.nx(), g.ny(), g.nz(), k -> v.label().data()[k]), lab.get("checksum")
                    .getAsDouble(), 1e-6);
        }
    }

    /** Mean image value of voxels whose 6 neighbours carry the same label, per label 0..4. */
    private static double[] interiorMeans(VolumePair v) {
        Grid g = v.grid();
        int[] l = v.label().data();
        float[] img = v.image().data();
        double[] sum = new double[5];
        long[] n = new long[5];
        for (int k = 1; k < g.nz() - 1; k++) {
            for (int j = 1; j < g.ny() - 1; j++) {
                for (int i = 1; i < g.nx() - 1; i++) {
                    int c = g.index(i, j, k);
                    int lab = l[c];
                    if (l[c - 1] == lab && l[c + 1] == lab && l[c - g.nx()] == lab && l[c + g.nx()] == lab
                            && l[c - g.nx() * g.ny()] == lab && l[c + g.nx() * g.ny()] == lab) {
                        sum[lab] += img[c];
                        n[lab]++;
                    }
                }
            }
        }
        double[] mean = new double[5];
        for (int i = 0; i < 5; i++) {
            mean[i] = sum[i] / Math.max(1, n[i]);
        }
        return mean;
    }
}
