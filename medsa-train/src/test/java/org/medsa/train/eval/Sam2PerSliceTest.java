package org.medsa.train.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medsa.core.modeling.sam2.Sam2Model;
import org.medsa.core.predictor.Prompt;
import org.medsa.core.predictor.RgbImage;
import org.medsa.core.testing.LiveReferences;
import org.medsa.data.dataset.MsdDataset;
import org.medsa.data.dataset.MsdWriter;
import org.medsa.data.dataset.Subset;
import org.medsa.data.geometry.Affine;
import org.medsa.data.nifti.NiftiDatatype;
import org.medsa.data.nifti.NiftiImage;
import org.medsa.data.transforms.Intensity;
import org.medsa.data.transforms.Slicer;
import org.medsa.data.volume.Grid;
import org.medsa.data.volume.ImageVolume;
import org.medsa.data.volume.LabelVolume;
import org.medsa.data.volume.VolumeFiles;
import org.medsa.data.volume.VolumePair;
import org.medsa.inference.SegmentationInput;
import org.medsa.inference.VolumePrompts;
import org.medsa.inference.VolumeSegmenter;
import org.medsa.inference.tracking.SliceSource;
import org.medsa.inference.tracking.TrackedSlice;
import org.medsa.inference.tracking.VolumeTracker;
import org.medsa.metrics.SegmentationMetrics;
import org.medsa.train.prompts.BoxSampler;
import org.medsa.train.prompts.ClickSampler;
import org.medsa.train.prompts.PromptBatch;
import org.medsa.train.training.TinyModels;

/**
 * The paper's per-slice prompt settings for SAM 2 models, on a non-square MR-like phantom with the
 * official-parity {@code sam2_tiny} weights: evaluation segments each slice without memory, as
 * {@code segment} and the tracker do for the same prompts.
 */
class Sam2PerSliceTest {

    @TempDir
    static Path tmp;
    static MsdDataset val;

    @BeforeAll
    static void data() throws Exception {
        val = VolumeOnePointTest.heldOutMrPhantom(tmp);
    }

    /**
     * The paper's per-slice settings for SAM 2: every slice holding an organ is segmented without
     * memory from the clicks and boxes the evaluation draws (drawn again here with the same seeds),
     * each organ alone through {@code VolumeSegmenter} without propagation; the 3D Dice and HD95
     * of the assembled masks, computed here, are the report's rows. The SAM 2 tracker behind it
     * matches the official video predictor's {@code add_new_points_or_box} (the SAM 2 parity
     * tests), so these are the official model's masks for those prompts.
     */
    @Test
    void sam2SegmentsEverySliceFromItsOwnPrompts() {
        try (NDManager m = NDManager.newBaseManager()) {
            assertRowsAreTheSegmentersMasks(VolumeOnePointTest.sam2(m), val, 5, m);
        }
    }

    /**
     * The same on real data: the axial slab of Debian's ch2 T1 MRI (181×217 slices, non-square)
     * that holds AAL's hippocampi (labels 37, 38), skipped visibly where mricron-data is absent
     * and required in CI.
     */
    @Test
    void sam2SegmentsEverySliceOfARealMriFromItsOwnPrompts() throws Exception {
        Path templates = Path.of("/usr/share/mricron/templates");
        LiveReferences.assumeInstalled(Files.isRegularFile(templates.resolve("ch2.nii.gz")),
                "the real MRI files of Debian's mricron-data in " + templates);
        MsdDataset ch2 = hippocampusSlab(templates.resolve("ch2.nii.gz"), templates.resolve("aal.nii.gz"), tmp.resolve("ch2"));
        try (NDManager m = NDManager.newBaseManager()) {
            assertRowsAreTheSegmentersMasks(VolumeOnePointTest.sam2(m), ch2, 11, m);
        }
    }

    /** An MSD dataset whose validation case is the axial slab of ch2 holding AAL 37 and 38 (as labels 1 and 2). */
    static MsdDataset hippocampusSlab(Path image, Path atlas, Path root) throws Exception {
        ImageVolume t1 = VolumeFiles.read(image).toImageVolume(0);
        LabelVolume aal = VolumeFiles.read(atlas).toLabelVolume();
        Grid g = t1.grid();
        int z0 = g.nz();
        int z1 = -1;
        for (int v = 0; v < aal.data().length; v++) {
            if (aal.data()[v] == 37 || aal.data()[v] == 38) {
                int k = v / (g.nx() * g.ny());
                z0 = Math.min(z0, k);
                z1 = Math.max(z1, k);
            }
        }
        double[][] rows = g.affine().toRows();
        for (double[] row : rows) {
            row[3] += z0 * row[2];
        }
        Grid slab = new Grid(g.nx(), g.ny(), z1 - z0 + 1, Affine.of(rows));
        float[] img = new float[slab.voxelCount()];
        int[] lab = new int[slab.voxelCount()];
        for (int k = 0; k < slab.nz(); k++) {
            for (int j = 0; j < g.ny(); j++) {
                for (int i = 0; i < g.nx(); i++) {
                    int src = g.index(i, j, k + z0);
                    int dst = slab.index(i, j, k);
                    img[dst] = t1.data()[src];
                    lab[dst] = aal.data()[src] == 37 ? 1 : aal.data()[src] == 38 ? 2 : 0;
                }
            }
        }
        try (MsdWriter msd = MsdWriter.create(root, "ch2-slab", Map.of(0, "MRI"), Map.of(0, "background", 1,
                "hippocampus_left", 2, "hippocampus_right"))) {
            for (String id : List.of("train", "held_out")) {
                msd.add(id, NiftiImage.of(new ImageVolume(slab, img), NiftiDatatype.FLOAT32), NiftiImage.of(new LabelVolume(slab,
                        lab), NiftiDatatype.UINT8), id.equals("held_out"));
            }
            msd.finish();
        }
        MsdDataset out = MsdDataset.slices(root).optSubset(Subset.VALIDATION).setSampling(1, false).build();
        assertEquals(181, out.preparedCase("held_out").volumes().grid().nx(), "the slices stay 181 x 217");
        return out;
    }

    /**
     * Evaluates {@code model} on {@code val} under 1-point and BBox 0.5 and checks every row against
     * masks made here: the draws repeated with the evaluation's seeds, each organ of each slice
     * segmented alone through {@code VolumeSegmenter} without propagation, scored in 3D.
     */
    static void assertRowsAreTheSegmentersMasks(Sam2Model model, MsdDataset val, long seed, NDManager m) {
        EvalReport report = new Evaluator(model, m, seed, TinyModels.quiet()).evaluate(val,
                PromptSetting.parseList("1-point,bbox-0.5"));
        String caseId = val.caseIds().get(0);
        VolumePair vols = val.preparedCase(caseId).volumes();
        LabelVolume truth = vols.label();
        Grid g = truth.grid();
        int axis = val.axis();
        int[] hw = Slicer.sliceShape(g, axis);
        int plane = hw[0] * hw[1];
        int rowAxis = axis == 0 ? 1 : 0;
        int colAxis = axis == 2 ? 1 : 2;
        int[] organs = truth.foregroundLabels();
        boolean[][] clicked = new boolean[organs.length][g.voxelCount()];
        boolean[][] boxed = new boolean[organs.length][g.voxelCount()];
        SegmentationInput input = SegmentationInput.of(vols.image(), null);
        VolumeSegmenter.Options options = VolumeSegmenter.Options.builder().axis(axis).intensity(Intensity.window(0, 1))
                .build();
        int prompted = 0;
        try (VolumeSegmenter seg = new VolumeSegmenter(model, m)) {
            for (int s = 0; s < g.size(axis); s++) {
                int[] lab = Slicer.slice(truth, axis, s);
                List<Integer> here = new ArrayList<>();
                for (int o : organs) {
                    if (Arrays.stream(lab).anyMatch(v -> v == o)) {
                        here.add(o);
                    }
                }
                if (here.isEmpty()) {
                    continue;
                }
                float[] t = new float[here.size() * plane];
                for (int j = 0; j < here.size(); j++) {
                    for (int p = 0; p < plane; p++) {
                        t[j * plane + p] = lab[p] == here.get(j) ? 1f : 0f;
                    }
                }
                Evaluator.reseed(seed, caseId, s);
                float[] clicks;
                float[] boxes;
                try (NDManager sm = m.newSubManager()) {
                    NDArray targets = sm.create(t, new Shape(here.size(), hw[0], hw[1]));
                    clicks = ClickSampler.randomPositiveClicks(targets, 1).points().toFloatArray();
                    boxes = BoxSampler.boxesAtIou(targets, 0.5, BoxSampler.BOX_CANDIDATES).toFloatArray();
                }
                for (int j = 0; j < here.size(); j++) {
                    int organ = here.get(j);
                    int row = Arrays.stream(organs).boxed().toList().indexOf(organ);
                    double[] ijk = new double[3];
                    ijk[axis] = s;
                    ijk[rowAxis] = clicks[2 * j + 1];
                    ijk[colAxis] = clicks[2 * j];
                    mark(clicked[row], seg.segment(input, new VolumePrompts().point(organ, ijk[0], ijk[1], ijk[2], true),
                            options).labels().data(), organ);
                    double[] lo = new double[3];
                    double[] hi = new double[3];
                    lo[axis] = s;
                    hi[axis] = s;
                    lo[rowAxis] = boxes[4 * j + 1];
                    lo[colAxis] = boxes[4 * j];
                    hi[rowAxis] = boxes[4 * j + 3];
                    hi[colAxis] = boxes[4 * j + 2];
                    mark(boxed[row], seg.segment(input, new VolumePrompts().box(organ, lo[0], lo[1], lo[2], hi[0], hi[1],
                            hi[2]), options).labels().data(), organ);
                    prompted++;
                }
            }
        }
        assertTrue(prompted >= 10, "organ slices prompted: " + prompted);
        int[] shape = {g.nz(), g.ny(), g.nx()};
        double[] spacing = {g.spacing()[2], g.spacing()[1], g.spacing()[0]};
        double sum = 0;
        for (int row = 0; row < organs.length; row++) {
            boolean[] ref = new boolean[g.voxelCount()];
            for (int v = 0; v < ref.length; v++) {
                ref[v] = truth.data()[v] == organs[row];
            }
            String name = val.organs().get(organs[row]);
            for (String setting : List.of("1-point", "bbox-0.5")) {
                boolean[] pred = setting.equals("1-point") ? clicked[row] : boxed[row];
                EvalReport.Row r = report.rows().stream().filter(x -> x.setting().equals(setting) && x.organ().equals(name))
                        .findFirst().orElseThrow();
                assertEquals(SegmentationMetrics.dice(pred, ref), r.dice(), 1e-12, setting + " " + name);
                assertEquals(SegmentationMetrics.hd95(pred, ref, shape, spacing), r.hd95(), 1e-9, setting + " " + name);
                sum += r.dice();
            }
        }
        assertTrue(sum > 0, "some slice is segmented at all");
    }

    private static void mark(boolean[] mask, int[] labels, int organ) {
        for (int v = 0; v < labels.length; v++) {
            mask[v] |= labels[v] == organ;
        }
    }

    /**
     * {@code clicks-3} for SAM 2: the first click, then two corrective clicks each added to the
     * slice's earlier clicks (SAM 2's {@code clear_old_points=False}, the previous logits as mask
     * input), exactly what an interactive user of the tracker gets when clicking where the
     * evaluation's corrective-click rule points; the corrective clicks here come from the tracker's
     * own logits.
     */
    @Test
    void sam2CorrectiveClicksRefineTheSlice() {
        long seed = 9;
        try (NDManager m = NDManager.newBaseManager()) {
            Sam2Model model = VolumeOnePointTest.sam2(m);
            VolumePair vols = val.preparedCase(val.caseIds().get(0)).volumes();
            int axis = val.axis();
            int s = vols.grid().size(axis) / 2;
            int[] hw = Slicer.sliceShape(vols.grid(), axis);
            int plane = hw[0] * hw[1];
            int[] lab = Slicer.slice(vols.label(), axis, s);
            int[] organs = Arrays.stream(lab).filter(v -> v > 0).distinct().sorted().toArray();
            assertTrue(organs.length >= 2, "organs on the slice: " + organs.length);
            float[] t = new float[organs.length * plane];
            for (int j = 0; j < organs.length; j++) {
                for (int p = 0; p < plane; p++) {
                    t[j * plane + p] = lab[p] == organs[j] ? 1f : 0f;
                }
            }
            RgbImage image = RgbImage.fromGray(Slicer.slice(vols.image(), axis, s), hw[0], hw[1]);
            Evaluator.reseed(seed, "slice", 0);
            boolean[][] masks;
            try (PromptedSegmenter seg = new PromptedSegmenter(model, m)) {
                masks = seg.segment(image, t, organs.length, List.of(PromptSetting.parse("clicks-3"))).get(0);
            }
            Evaluator.reseed(seed, "slice", 0);
            int changed = 0;
            try (NDManager sm = m.newSubManager();
                    VolumeTracker tracker = VolumeTracker.open(model, SliceSource.of(List.of(image)), sm)) {
                NDArray targets = sm.create(t, new Shape(organs.length, hw[0], hw[1]));
                PromptBatch first = ClickSampler.randomPositiveClicks(targets, 1);
                float[] xy = first.points().toFloatArray();
                float[][] logits = new float[organs.length][];
                for (int j = 0; j < organs.length; j++) {
                    logits[j] = tracker.addPrompt(0, j, new Prompt().point(xy[2 * j], xy[2 * j + 1], 1)).logits(j);
                }
                for (int round = 1; round < 3; round++) {
                    float[] flat = new float[organs.length * plane];
                    for (int j = 0; j < organs.length; j++) {
                        System.arraycopy(logits[j], 0, flat, j * plane, plane);
                    }
                    PromptBatch c = ClickSampler.correctiveClicks(targets, sm.create(flat, targets.getShape()), true);
                    float[] cxy = c.points().toFloatArray();
                    float[] cl = c.labels().toFloatArray();
                    for (int j = 0; j < organs.length; j++) {
                        TrackedSlice r = tracker.addClicks(0, j, new Prompt().point(cxy[2 * j], cxy[2 * j + 1], (int) cl[j]));
                        float[] before = logits[j];
                        logits[j] = r.logits(j);
                        changed += Arrays.equals(before, logits[j]) ? 0 : 1;
                    }
                }
                for (int j = 0; j < organs.length; j++) {
                    boolean[] expected = new boolean[plane];
                    for (int p = 0; p < plane; p++) {
                        expected[p] = logits[j][p] > 0;
                    }
                    assertArrayEquals(expected, masks[j], "organ " + organs[j]);
                }
            }
            assertTrue(changed > 0, "the corrective clicks changed some mask");
        }
    }
}
