package org.medsa.data.dataset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.dataset.Batch;
import ai.djl.training.dataset.Record;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medsa.data.phantom.Phantom;
import org.medsa.data.phantom.Rendering;
import org.medsa.data.testutil.Python;
import org.medsa.data.transforms.RandomFlip;
import org.medsa.data.transforms.Sample;
import org.medsa.data.transforms.SamplePipeline;
import org.medsa.data.transforms.Slicer;
import org.medsa.data.transforms.VolumePipeline;
import org.medsa.data.volume.LabelVolume;

/** MSD datasets built from phantoms, checked against label counts computed by nibabel. */
class MsdDatasetTest {

    @TempDir
    static Path dir;
    static Path ct;
    static Path lps;
    static JsonObject ctRef;
    static JsonObject lpsRef;

    /**
     * Per case (nibabel, after as_closest_canonical): voxel counts of each organ 1..4 in each axial
     * slice, and a few windowed image values (clip((HU + 175) / 425, 0, 1) * 255).
     */
    static final String COUNTS = String.join("\n",
            "import sys, os, json, numpy as np, nibabel as nib",
            "root = sys.argv[1]",
            "ds = json.load(open(os.path.join(root, 'dataset.json')))",
            "out = {}",
            "for e in ds['training'] + ds.get('validation', []):",
            "    case = os.path.basename(e['image']).replace('.nii.gz', '')",
            "    img = nib.as_closest_canonical(nib.load(os.path.join(root, e['image'])))",
            "    lab = np.asanyarray(nib.as_closest_canonical(nib.load(os.path.join(root, e['label']))).dataobj)",
            "    d = img.get_fdata()",
            "    counts = [[int((lab[:, :, k] == o).sum()) for o in range(1, 5)] for k in range(lab.shape[2])]",
            "    win = np.clip((d + 175) / 425, 0, 1) * 255",
            "    probes = [[i, j, k, float(win[i, j, k])] for (i, j, k) in [(5, 7, 3), (20, 30, 8), (31, 3, 11)]]",
            "    raw = np.asanyarray(nib.load(os.path.join(root, e['image'])).dataobj).astype(np.float64)",
            "    out[case] = dict(counts=counts, probes=probes, shape=list(lab.shape),",
            "                     slice8=lab[:, :, 8].flatten().astype(int).tolist(),",
            "                     window8=np.clip((d[:, :, 8] + 175) / 425, 0, 1).flatten().tolist(), "
                    + "first_voxel=float(raw.flat[0]))",
            "print(json.dumps(out))");

    @BeforeAll
    static void writePhantoms() {
        ct = Phantom.builder().seed(21).size(40, 36, 14).cases(6).validationCases(2).rendering(Rendering.CT)
                .build().writeMsd(dir.resolve("ct"));
        lps = Phantom.builder().seed(22).size(40, 36, 14).cases(3).validationCases(1).rendering(Rendering.CT)
                .orientation("LPS").build().writeMsd(dir.resolve("lps"));
        ctRef = Python.json("msd_phantom_ct_counts", COUNTS, ct.toString()).getAsJsonObject();
        lpsRef = Python.json("msd_phantom_lps_counts", COUNTS, lps.toString()).getAsJsonObject();
    }

    private static int count(JsonObject ref, String caseId, int slice, int organ) {
        return ref.getAsJsonObject(caseId).getAsJsonArray("counts").get(slice).getAsJsonArray().get(organ - 1).getAsInt();
    }

    @Test
    void slicesAreExactlyTheNonEmptyOrganSlices() {
        for (Path root : new Path[] {ct, lps}) {
            JsonObject ref = root == ct ? ctRef : lpsRef;
            MsdDataset ds = MsdDataset.slices(root).optSubset(Subset.ALL).build();
            Set<String> expected = new HashSet<>();
            for (String caseId : ref.keySet()) {
                JsonArray counts = ref.getAsJsonObject(caseId).getAsJsonArray("counts");
                for (int k = 0; k < counts.size(); k++) {
                    for (int o = 1; o <= 4; o++) {
                        if (count(ref, caseId, k, o) > 0) {
                            expected.add(caseId + "/" + k + "/" + o);
                        }
                    }
                }
            }
            Set<String> served = new HashSet<>();
            for (long i = 0; i < ds.size(); i++) {
                SampleInfo info = ds.info(i);
                served.add(info.caseId() + "/" + info.sliceIndex() + "/" + info.organLabel());
                Sample s = ds.sample(i);
                float sum = 0;
                for (float t : s.target()) {
                    assertTrue(t == 0 || t == 1);
                    sum += t;
                }
                assertEquals(count(ref, info.caseId(), info.sliceIndex(), info.organLabel()), sum, 0, info.toString());
            }
            assertEquals(expected, served, root.toString());
        }
    }

    @Test
    void recordLayoutIsWhatTheTrainerExpects() throws Exception {
        MsdDataset ds = MsdDataset.slices(ct).optSubset(Subset.ALL).build();
        try (NDManager manager = NDManager.newBaseManager()) {
            Record r = ds.get(manager, 0);
            assertEquals(1, r.getData().size());
            assertEquals(1, r.getLabels().size());
            NDArray image = r.getData().head();
            NDArray target = r.getLabels().head();
            assertEquals(new Shape(3, 40, 36), image.getShape());
            assertEquals(new Shape(1, 40, 36), target.getShape());
            assertEquals(DataType.FLOAT32, image.getDataType());
            assertEquals(DataType.FLOAT32, target.getDataType());
            assertEquals(0f, image.get(0).sub(image.get(2)).abs().max().getFloat(), 0f); // gray repeated
            // the image is the windowed HU times 255: compare probes with numpy
            for (String caseId : ctRef.keySet()) {
                long idx = firstSampleOf(ds, caseId, 8);
                float[] values = ds.get(manager, idx).getData().head().get(0).toFloatArray();
                for (var p : ctRef.getAsJsonObject(caseId).getAsJsonArray("probes")) {
                    JsonArray a = p.getAsJsonArray();
                    if (a.get(2).getAsInt() != 8) {
                        continue;
                    }
                    assertEquals(a.get(3).getAsDouble(), values[a.get(0).getAsInt() * 36 + a.get(1).getAsInt()], 1e-3);
                }
            }
            // batches of slices of one volume stack through DJL's iterator, at the native size
            MsdDataset batched = MsdDataset.slices(ct).setSampling(4, false).build();
            Batch batch = batched.getData(manager).iterator().next();
            assertEquals(new Shape(4, 3, 40, 36), batch.getData().head().getShape());
            assertEquals(new Shape(4, 1, 40, 36), batch.getLabels().head().getShape());
            batch.close();
        }
    }

    @Test
    void chunksStackConsecutiveSlices() {
        int depth = 4;
        MsdDataset ds = MsdDataset.chunks(ct, depth).optSubset(Subset.TRAINING).build();
        assertTrue(ds.size() > 0);
        Set<String> expected = new HashSet<>();
        for (String caseId : List.of("phantom_000", "phantom_001", "phantom_002", "phantom_003")) {
            for (int start = 0; start + depth <= 14; start += depth) {
                for (int o = 1; o <= 4; o++) {
                    int total = 0;
                    for (int z = start; z < start + depth; z++) {
                        total += count(ctRef, caseId, z, o);
                    }
                    if (total > 0) {
                        expected.add(caseId + "/" + start + "/" + o);
                    }
                }
            }
        }
        Set<String> served = new HashSet<>();
        try (NDManager manager = NDManager.newBaseManager()) {
            for (long i = 0; i < ds.size(); i++) {
                SampleInfo info = ds.info(i);
                served.add(info.caseId() + "/" + info.sliceIndex() + "/" + info.organLabel());
                Record r = ds.get(manager, i);
                assertEquals(new Shape(depth, 3, 40, 36), r.getData().head().getShape());
                assertEquals(new Shape(depth, 1, 40, 36), r.getLabels().head().getShape());
                for (int z = 0; z < depth; z++) {
                    float sum = r.getLabels().head().get(z).sum().getFloat();
                    assertEquals(count(ctRef, info.caseId(), info.sliceIndex() + z, info.organLabel()), sum, 0);
                }
            }
        }
        assertEquals(expected, served);
    }

    @Test
    void splitFollowsDatasetJsonOrTheSeed() throws IOException {
        MsdDataset val = MsdDataset.slices(ct).optSubset(Subset.VALIDATION).build();
        assertEquals(List.of("phantom_004", "phantom_005"), val.caseIds());
        MsdDataset train = MsdDataset.slices(ct).build();
        assertEquals(List.of("phantom_000", "phantom_001", "phantom_002", "phantom_003"), train.caseIds());
        // without a validation list: seeded, reproducible, disjoint, complete
        Path noVal = dir.resolve("noval");
        copyTree(ct, noVal);
        JsonObject json = JsonParser.parseString(Files.readString(noVal.resolve("dataset.json"))).getAsJsonObject();
        JsonArray training = json.getAsJsonArray("training");
        json.getAsJsonArray("validation").forEach(training::add);
        json.remove("validation");
        Files.writeString(noVal.resolve("dataset.json"), json.toString());
        List<String> t1 = MsdDataset.slices(noVal).optSeed(7).optValidationFraction(0.34).build().caseIds();
        List<String> v1 = MsdDataset.slices(noVal).optSeed(7).optValidationFraction(0.34).optSubset(Subset.VALIDATION).build()
                .caseIds();
        assertEquals(t1, MsdDataset.slices(noVal).optSeed(7).optValidationFraction(0.34).build().caseIds());
        assertEquals(2, v1.size()); // round(0.34 * 6)
        Set<String> all = new HashSet<>(t1);
        all.addAll(v1);
        assertEquals(6, all.size());
        assertTrue(v1.stream().noneMatch(t1::contains));
        boolean differs = false;
        for (long seed = 8; seed < 12 && !differs; seed++) {
            differs = !MsdDataset.slices(noVal).optSeed(seed).optValidationFraction(0.34).optSubset(Subset.VALIDATION)
                    .build().caseIds().equals(v1);
        }
        assertTrue(differs, "other seeds give other splits");
    }

    @Test
    void metadataAndRawSlices() {
        MsdDataset ds = MsdDataset.slices(ct).optSubset(Subset.ALL).build();
        assertEquals("liver", ds.organs().get(1));
        long idx = firstSampleOf(ds, "phantom_002", 8);
        SampleInfo info = ds.info(idx);
        assertEquals(ds.organs().get(info.organLabel()), info.organName());
        assertArrayEquals(new double[] {1.5, 1.5}, info.sliceSpacing(), 1e-9);
        assertEquals(2.5, info.sliceThickness(), 1e-9);
        assertArrayEquals(new int[] {40, 36, 14}, info.originalGrid().shape());
        assertEquals("RAS", info.originalGrid().orientationCode());
        RawSample raw = ds.raw(idx);
        JsonArray slice8 = ctRef.getAsJsonObject("phantom_002").getAsJsonArray("slice8");
        for (int p = 0; p < raw.labels().length; p++) {
            assertEquals(slice8.get(p).getAsInt(), raw.labels()[p]);
        }
        // the raw slice is the CT window -175..250 HU of nibabel's canonical volume, slice 8
        JsonArray window8 = ctRef.getAsJsonObject("phantom_002").getAsJsonArray("window8");
        assertEquals(window8.size(), raw.image().length);
        for (int p = 0; p < raw.image().length; p++) {
            assertEquals(window8.get(p).getAsDouble(), raw.image()[p], 1e-6, "voxel " + p);
        }
        // the original volumes come straight from the files: HU, file orientation
        var original = ds.originalVolumes("phantom_002");
        assertEquals(ctRef.getAsJsonObject("phantom_002").get("first_voxel").getAsDouble(), original.image().data()[0], 0);
    }

    @Test
    void predictionsMapBackToTheOriginalFile() {
        // a perfect "prediction" of the liver, assembled slice by slice on the preprocessed (RAS) grid
        MsdDataset ds = MsdDataset.slices(lps).optSubset(Subset.ALL).optOrgans(1).build();
        String caseId = "phantom_001";
        var grid = ds.preparedCase(caseId).volumes().grid();
        int[] predicted = new int[grid.voxelCount()];
        int liverVoxels = 0;
        for (long i = 0; i < ds.size(); i++) {
            SampleInfo info = ds.info(i);
            if (!info.caseId().equals(caseId)) {
                continue;
            }
            assertArrayEquals(new double[] {1.5, 1.5}, info.sliceSpacing(), 1e-12);
            int[] mask = ds.raw(i).organMask();
            Slicer.put(predicted, grid, 2, info.sliceIndex(), mask);
            liverVoxels += count(lpsRef, caseId, info.sliceIndex(), 1);
        }
        var back = ds.toOriginalGrid(caseId, new LabelVolume(grid, predicted));
        var original = ds.originalVolumes(caseId).label();
        assertEquals("LPS", original.grid().orientationCode());
        assertTrue(back.grid().matches(original.grid(), 1e-9));
        assertTrue(ds.originalGrid(caseId).matches(original.grid(), 1e-9));
        for (int v = 0; v < original.data().length; v++) {
            assertEquals(original.data()[v] == 1 ? 1 : 0, back.data()[v], "voxel " + v);
        }
        assertEquals(liverVoxels, back.count(1)); // nibabel's count
    }

    @Test
    void augmentationIsSeededPerIndexAndEpoch() {
        SamplePipeline flipAlways = SamplePipeline.of(new RandomFlip(RandomFlip.Axis.ROWS, 0.5),
                new RandomFlip(RandomFlip.Axis.COLS, 0.5));
        MsdDataset a = MsdDataset.slices(ct).optSeed(3).optAugmentation(flipAlways).build();
        MsdDataset b = MsdDataset.slices(ct).optSeed(3).optAugmentation(flipAlways).build();
        boolean changedWithEpoch = false;
        for (long i = 0; i < 10; i++) {
            assertArrayEquals(a.sample(i).image(), b.sample(i).image(), 0f);
            float[] before = a.sample(i).image();
            a.setEpoch(1);
            changedWithEpoch |= !Arrays.equals(before, a.sample(i).image());
            a.setEpoch(0);
        }
        assertTrue(changedWithEpoch);
    }

    @Test
    void optionsChangeWhatIsServed() {
        MsdDataset all = MsdDataset.slices(ct).optSkipEmptySlices(false).build();
        assertEquals(4 * 14 * 4, all.size()); // 4 training cases x 14 slices x 4 organs
        MsdDataset liver = MsdDataset.slices(ct).optOrgans(1).build();
        for (long i = 0; i < liver.size(); i++) {
            assertEquals(1, liver.info(i).organLabel());
        }
        MsdDataset sagittal = MsdDataset.slices(ct).optAxis(0).build();
        assertEquals(36, sagittal.info(0).height());
        assertEquals(14, sagittal.info(0).width());
        // a custom pipeline changes the values (here: a narrower window)
        MsdDataset narrow = MsdDataset.slices(ct).optPreprocessing(VolumePipeline.ct(0, 100)).build();
        assertNotEquals(MsdDataset.slices(ct).build().sample(0).image()[700], narrow.sample(0).image()[700]);
    }

    @Test
    void diskCacheIsReusedAndKeyedByPipeline() throws IOException {
        Path cache = dir.resolve("cache");
        MsdDataset first = MsdDataset.slices(ct).optCacheDirectory(cache).build();
        List<Path> files = list(cache);
        assertEquals(4, files.size());
        long modified = Files.getLastModifiedTime(files.get(0)).toMillis();
        MsdDataset second = MsdDataset.slices(ct).optCacheDirectory(cache).build();
        assertEquals(files, list(cache));
        assertEquals(modified, Files.getLastModifiedTime(files.get(0)).toMillis());
        for (long i = 0; i < first.size(); i += 7) {
            assertArrayEquals(first.sample(i).image(), second.sample(i).image(), 0f);
            assertArrayEquals(first.sample(i).target(), second.sample(i).target(), 0f);
        }
        MsdDataset.slices(ct).optCacheDirectory(cache).optPreprocessing(VolumePipeline.ct(-100, 200)).build();
        assertEquals(8, list(cache).size());
        // a tiny memory budget forces reloads from the disk cache, with the same results
        MsdDataset tight = MsdDataset.slices(ct).optCacheDirectory(cache).optMemoryCacheBytes(1).build();
        for (long i = 0; i < first.size(); i += 5) {
            assertArrayEquals(first.sample(i).image(), tight.sample(i).image(), 0f);
        }
        assertFalse(list(cache).stream().anyMatch(p -> p.toString().contains(".tmp")));
    }

    static long firstSampleOf(MsdDataset ds, String caseId, int slice) {
        for (long i = 0; i < ds.size(); i++) {
            if (ds.info(i).caseId().equals(caseId) && ds.info(i).sliceIndex() == slice) {
                return i;
            }
        }
        throw new AssertionError("no sample of " + caseId + " slice " + slice);
    }

    static List<Path> list(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            List<Path> out = new ArrayList<>();
            s.sorted().forEach(out::add);
            return out;
        }
    }

    static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }
}
