package org.medsa.data.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medsa.data.testutil.Python;
import org.medsa.data.testutil.References;
import org.medsa.data.transforms.Sample;

/** An MSD-layout dataset made of the real ch2 MRI and the AAL atlas as its label map. */
class Ch2AalMsdTest {

    @TempDir
    Path dir;

    private static final int[] ORGANS = {1, 2, 37};

    /** Per axial slice voxel counts of labels 1, 2, 37 and percentile-normalised ch2 probes. */
    private static final String REFERENCE = String.join("\n",
            "import sys, json, numpy as np, nibabel as nib",
            "img = nib.load(sys.argv[1]).get_fdata(); lab = np.asanyarray(nib.load(sys.argv[2]).dataobj)",
            "organs = [1, 2, 37]",
            "counts = [[int((lab[:, :, k] == o).sum()) for o in organs] for k in range(lab.shape[2])]",
            "lo, hi = np.percentile(img[img != 0], [0.5, 99.5])",
            "norm = np.clip((img - lo) / (hi - lo), 0, 1) * 255",
            "probes = [[i, j, k, float(norm[i, j, k])] for (i, j, k) in [(90, 100, 60), (60, 150, 100), (120, 80, 60), (5, 5, "
                    + "100)]]",
            "print(json.dumps(dict(counts=counts, probes=probes)))");

    @Test
    void servesAalRegionsOnCh2Slices() throws IOException {
        References.requireTemplates();
        Path root = dir.resolve("ch2aal");
        Files.createDirectories(root.resolve("imagesTr"));
        Files.createDirectories(root.resolve("labelsTr"));
        Files.copy(References.TEMPLATES.resolve("ch2.nii.gz"), root.resolve("imagesTr/ch2.nii.gz"));
        Files.copy(References.TEMPLATES.resolve("aal.nii.gz"), root.resolve("labelsTr/ch2.nii.gz"));
        JsonObject json = new JsonObject();
        json.addProperty("name", "ch2-aal");
        JsonObject modality = new JsonObject();
        modality.addProperty("0", "MRI");
        json.add("modality", modality);
        JsonObject labels = new JsonObject();
        labels.addProperty("0", "background");
        for (String line : Files.readAllLines(References.TEMPLATES.resolve("aal.nii.txt"))) {
            String[] parts = line.trim().split("\\s+");
            if (parts.length >= 2) {
                labels.addProperty(parts[0], parts[1]);
            }
        }
        json.add("labels", labels);
        JsonArray training = new JsonArray();
        JsonObject entry = new JsonObject();
        entry.addProperty("image", "./imagesTr/ch2.nii.gz");
        entry.addProperty("label", "./labelsTr/ch2.nii.gz");
        training.add(entry);
        json.add("training", training);
        Files.writeString(root.resolve("dataset.json"), new GsonBuilder().setPrettyPrinting().create().toJson(json));

        JsonObject ref = Python.json("ch2_aal_msd", REFERENCE, References.TEMPLATES.resolve("ch2.nii.gz").toString(),
                References.TEMPLATES.resolve("aal.nii.gz").toString()).getAsJsonObject();
        MsdDataset ds = MsdDataset.slices(root).optSubset(Subset.ALL).optOrgans(ORGANS).build();
        assertEquals("Precentral_L", ds.organs().get(1));
        assertEquals("Hippocampus_L", ds.organs().get(37));
        JsonArray counts = ref.getAsJsonArray("counts");
        Set<String> expected = new HashSet<>();
        for (int k = 0; k < counts.size(); k++) {
            for (int o = 0; o < ORGANS.length; o++) {
                if (counts.get(k).getAsJsonArray().get(o).getAsInt() > 0) {
                    expected.add(k + "/" + ORGANS[o]);
                }
            }
        }
        Set<String> served = new HashSet<>();
        for (long i = 0; i < ds.size(); i++) {
            SampleInfo info = ds.info(i);
            served.add(info.sliceIndex() + "/" + info.organLabel());
            int o = List.of(1, 2, 37).indexOf(info.organLabel());
            int expectedCount = counts.get(info.sliceIndex()).getAsJsonArray().get(o).getAsInt();
            Sample s = ds.sample(i);
            float sum = 0;
            for (float t : s.target()) {
                sum += t;
            }
            assertEquals(expectedCount, sum, 0, info.toString());
            assertEquals(181, s.height());
            assertEquals(217, s.width());
        }
        assertEquals(expected, served);
        // MR default preprocessing = percentile normalisation of non-zero voxels, times 255
        for (var p : ref.getAsJsonArray("probes")) {
            JsonArray a = p.getAsJsonArray();
            int k = a.get(2).getAsInt();
            long idx = -1;
            for (long i = 0; i < ds.size() && idx < 0; i++) {
                if (ds.info(i).sliceIndex() == k) {
                    idx = i;
                }
            }
            assertTrue(idx >= 0, "no sample in slice " + k);
            float v = ds.sample(idx).image()[a.get(0).getAsInt() * 217 + a.get(1).getAsInt()];
            assertEquals(a.get(3).getAsDouble(), v, 1e-3, "probe " + a);
        }
    }
}
