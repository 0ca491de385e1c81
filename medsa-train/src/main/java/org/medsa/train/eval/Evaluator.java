package org.medsa.train.eval;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.medsa.core.Diagnostics;
import org.medsa.core.MedsaException;
import org.medsa.core.ProgressLine;
import org.medsa.core.Seeds;
import org.medsa.core.modeling.PromptableModel;
import org.medsa.core.predictor.RgbImage;
import org.medsa.data.dataset.ImageMaskFolderDataset;
import org.medsa.data.dataset.MsdDataset;
import org.medsa.data.transforms.Intensity;
import org.medsa.data.transforms.Sample;
import org.medsa.data.transforms.Slicer;
import org.medsa.data.volume.Grid;
import org.medsa.data.volume.LabelVolume;
import org.medsa.data.volume.OrganClicks;
import org.medsa.data.volume.VolumePair;
import org.medsa.inference.Propagation;
import org.medsa.inference.SegmentationInput;
import org.medsa.inference.VolumePrompts;
import org.medsa.inference.VolumeSegmenter;
import org.medsa.metrics.SegmentationMetrics;

/**
 * Evaluates a (Med-)SAM or SAM 2 model under prompt settings, the way the paper reports it: per
 * organ and per volume, in 3D at full resolution (docs/metrics.md). Both families take every
 * setting; a SAM 2 model segments each prompted slice without memory ({@link PromptedSegmenter}).
 *
 * <p>Volumes: every slice (along the dataset's axis) containing an organ is prompted from that
 * organ's ground truth on the slice; slices without it are predicted empty. The predicted slices
 * form a 3D mask per organ, compared with the truth on the case's original grid (predictions are
 * mapped back when the data pipeline resampled or cropped), with distances in mm. Images of 2D
 * folder datasets are scored per image in pixels. Prompts are sampled on the device, in the
 * original slice frame, and seeded per (case, slice), so results do not depend on the order of
 * work.
 */
public final class Evaluator {

    private final PromptableModel model;
    private final long seed;
    private final NDManager parent;
    private final Diagnostics progress;

    /**
     * An evaluator of {@code model}; its arrays live under {@code parent} (on the model's device),
     * {@code seed} seeds the prompts, progress goes to {@code progress}.
     */
    public Evaluator(PromptableModel model, NDManager parent, long seed, Diagnostics progress) {
        this.model = model;
        this.parent = parent;
        this.seed = seed;
        this.progress = progress;
    }

    /** The model evaluated. */
    public PromptableModel model() {
        return model;
    }

    /** The manager the evaluation's arrays live under (for a caller that works with the model alongside). */
    public NDManager manager() {
        return parent;
    }

    /**
     * Per-organ 3D evaluation of an MSD-layout dataset: the per-slice settings prompt every slice
     * holding an organ; {@code 3d-1-point} clicks each organ once and propagates ({@link
     * #oneClickPerOrgan}). Either way the organ is scored in 3D on the original grid.
     */
    public EvalReport evaluate(MsdDataset data, List<PromptSetting> settings) {
        EvalReport report = new EvalReport("mm");
        int axis = data.axis();
        Map<Integer, String> organs = data.organs();
        List<PromptSetting> perSlice = settings.stream().filter(s -> s.kind().perSlice()).toList();
        boolean volume = settings.stream().anyMatch(s -> !s.kind().perSlice());
        int total = 0;
        for (String c : data.caseIds()) {
            VolumePair v = data.preparedCase(c).volumes();
            total += (perSlice.isEmpty() ? 0 : v.grid().size(axis)) + (volume ? v.label().foregroundLabels().length : 0);
        }
        ProgressLine line = new ProgressLine(progress, "eval", 0, total, Math.max(1, total / 20));
        int done = 0;
        try (NDManager root = parent.newSubManager(model.device());
                PromptedSegmenter segmenter = perSlice.isEmpty() ? null : new PromptedSegmenter(model, root);
                VolumeSegmenter tracker = volume ? new VolumeSegmenter(model, root) : null) {
            for (String caseId : data.caseIds()) {
                VolumePair vols = data.preparedCase(caseId).volumes();
                Grid grid = vols.grid();
                int[] hw = Slicer.sliceShape(grid, axis);
                int n = grid.size(axis);
                List<Integer> present = new ArrayList<>();
                for (int label : vols.label().foregroundLabels()) {
                    if (organs.containsKey(label)) {
                        present.add(label);
                    }
                }
                Map<String, BitSet> predicted = new LinkedHashMap<>();
                for (int s = 0; segmenter != null && s < n; s++) {
                    int[] lab = Slicer.slice(vols.label(), axis, s);
                    List<Integer> here = new ArrayList<>();
                    for (int o : present) {
                        for (int v : lab) {
                            if (v == o) {
                                here.add(o);
                                break;
                            }
                        }
                    }
                    if (!here.isEmpty()) {
                        RgbImage img = RgbImage.fromGray(Slicer.slice(vols.image(), axis, s), hw[0], hw[1]);
                        reseed(caseId, s);
                        Map<String, boolean[]> masks = predictSlice(segmenter, img, lab, here, perSlice);
                        int plane = hw[0] * hw[1];
                        int[] offsets = sliceOffsets(grid, axis, s);
                        for (Map.Entry<String, boolean[]> e : masks.entrySet()) {
                            BitSet bits = predicted.computeIfAbsent(e.getKey(), k -> new BitSet(grid.voxelCount()));
                            boolean[] m = e.getValue();
                            for (int p = 0; p < plane; p++) {
                                if (m[p]) {
                                    bits.set(offsets[p]);
                                }
                            }
                        }
                    }
                    done++;
                    line.update(done, caseId);
                }
                if (tracker != null) {
                    // the prepared image is already in [0, 1]: an identity window keeps the gray levels the slices get
                    Map<Integer, boolean[]> tracked = oneClickPerOrgan(tracker, vols, axis, present, Intensity.window(0, 1));
                    for (Map.Entry<Integer, boolean[]> e : tracked.entrySet()) {
                        BitSet bits = new BitSet(grid.voxelCount());
                        boolean[] m = e.getValue();
                        for (int v = 0; v < m.length; v++) {
                            if (m[v]) {
                                bits.set(v);
                            }
                        }
                        predicted.put(PromptSetting.VOLUME_ONE_POINT_ID + "#" + e.getKey(), bits);
                    }
                    done += vols.label().foregroundLabels().length;
                    line.update(done, caseId);
                }
                score(data, caseId, vols, present, organs, settings, predicted, report);
            }
        }
        if (report.rows().isEmpty()) {
            throw new MedsaException("nothing to evaluate: no organ of " + organs.values()
                    + " occurs in the labels of the " + data.caseIds().size() + " case(s) evaluated");
        }
        return report;
    }

    /**
     * The {@code 3d-1-point} setting on one volume, its gray levels by {@code intensity} (a prepared
     * volume in [0, 1]: {@code Intensity.window(0, 1)}): for each organ, one
     * positive click at {@link OrganClicks#centre} (the centre of its largest cross-section on its
     * middle slice along {@code axis}), segmented and propagated both ways through the volume by
     * {@code segmenter} (SAM 2: tracked with memory). The masks are on the volume's grid; an organ
     * without voxels is left out. The one definition of the setting: evaluation, training
     * validation and the demo call it.
     */
    public static Map<Integer, boolean[]> oneClickPerOrgan(VolumeSegmenter segmenter, VolumePair volumes, int axis,
            List<Integer> organs, Intensity intensity) {
        LabelVolume truth = volumes.label();
        SegmentationInput input = SegmentationInput.of(volumes.image(), null);
        VolumeSegmenter.Options options = VolumeSegmenter.Options.builder().axis(axis).intensity(intensity)
                .propagate(Propagation.Direction.BOTH, Integer.MAX_VALUE).build();
        Map<Integer, boolean[]> out = new LinkedHashMap<>();
        for (int organ : organs) {
            int[] click = OrganClicks.centre(truth, organ, axis);
            if (click == null) {
                continue;
            }
            int[] labels = segmenter.segment(input, new VolumePrompts().point(organ, click[0], click[1], click[2], true),
                    options).labels().data();
            boolean[] mask = new boolean[labels.length];
            for (int v = 0; v < mask.length; v++) {
                mask[v] = labels[v] == organ;
            }
            out.put(organ, mask);
        }
        return out;
    }

    private void score(MsdDataset data, String caseId, VolumePair prepared, List<Integer> present, Map<Integer, String> organs,
            List<PromptSetting> settings, Map<String, BitSet> predicted, EvalReport report) {
        Grid grid = prepared.grid();
        VolumePair original = null;
        // Metrics are taken on the grid of the original files: map back if preprocessing changed it.
        Grid originalGrid = data.originalGrid(caseId);
        boolean resampled = !grid.equals(originalGrid);
        if (resampled) {
            original = data.originalVolumes(caseId);
        }
        Grid target = resampled ? original.grid() : grid;
        int[] truthLabels = resampled ? original.label().data() : prepared.label().data();
        int[] shape = {target.nz(), target.ny(), target.nx()};
        double[] sp = target.spacing();
        double[] spacing = {sp[2], sp[1], sp[0]};
        for (PromptSetting s : settings) {
            for (int o : present) {
                BitSet bits = predicted.getOrDefault(s.id() + "#" + o, new BitSet());
                boolean[] pred;
                if (resampled) {
                    int[] onPrepared = new int[grid.voxelCount()];
                    bits.stream().forEach(i -> onPrepared[i] = 1);
                    int[] mapped = data.toOriginalGrid(caseId, new LabelVolume(grid, onPrepared)).data();
                    pred = new boolean[mapped.length];
                    for (int i = 0; i < mapped.length; i++) {
                        pred[i] = mapped[i] == 1;
                    }
                } else {
                    pred = new boolean[grid.voxelCount()];
                    bits.stream().forEach(i -> pred[i] = true);
                }
                boolean[] truth = new boolean[truthLabels.length];
                for (int i = 0; i < truth.length; i++) {
                    truth[i] = truthLabels[i] == o;
                }
                report.add(new EvalReport.Row(s.id(), organs.get(o), caseId, SegmentationMetrics.dice(pred, truth),
                        SegmentationMetrics.iou(pred, truth), SegmentationMetrics.hd95(pred, truth, shape, spacing)));
            }
        }
    }

    /** Per-image evaluation of a 2D folder dataset (one foreground class, distances in pixels). */
    public EvalReport evaluate(ImageMaskFolderDataset data, List<PromptSetting> settings) {
        EvalReport report = new EvalReport("px");
        int n = (int) data.size();
        ProgressLine line = new ProgressLine(progress, "eval", 0, n, Math.max(1, n / 20));
        try (NDManager root = parent.newSubManager(model.device());
                PromptedSegmenter segmenter = new PromptedSegmenter(model, root)) {
            if (settings.stream().anyMatch(x -> !x.kind().perSlice())) {
                throw new MedsaException("3d-1-point evaluates volumes; a folder of 2D images takes the per-slice settings");
            }
            for (int i = 0; i < n; i++) {
                Sample sample = data.sample(i);
                int h = sample.height();
                int w = sample.width();
                boolean[] truth = new boolean[h * w];
                int[] lab = new int[h * w];
                for (int p = 0; p < lab.length; p++) {
                    truth[p] = sample.target()[p] > 0.5f;
                    lab[p] = truth[p] ? 1 : 0;
                }
                String id = data.info(i).stem();
                reseed(id, 0);
                RgbImage image = RgbImage.fromPlanes(sample.image(), sample.channels(), h, w);
                Map<String, boolean[]> masks = predictSlice(segmenter, image, lab, List.of(1), settings);
                for (PromptSetting s : settings) {
                    boolean[] pred = masks.get(s.id() + "#1");
                    report.add(new EvalReport.Row(s.id(), "foreground", id, SegmentationMetrics.dice(pred, truth),
                            SegmentationMetrics.iou(pred, truth),
                                    SegmentationMetrics.hd95(pred, truth, new int[] {h, w}, new double[] {1, 1})));
                }
                line.update(i + 1, id);
            }
        }
        return report;
    }

    private void reseed(String id, int slice) {
        reseed(seed, id, slice);
    }

    /**
     * Seeds the engine's generator for the prompts of one image (a volume's slice, or a 2D image
     * with slice 0): the evaluation and the training validation draw the same clicks for it.
     */
    public static void reseed(long seed, String id, int slice) {
        long h = Seeds.image(seed, id, slice);
        Seeds.seedEngine(h);
    }

    /**
     * Predicts every organ of one slice under every setting: keys "setting#organ", values (h, w)
     * masks at the slice's size.
     */
    private static Map<String, boolean[]> predictSlice(PromptedSegmenter segmenter, RgbImage image, int[] labels,
            List<Integer> organs, List<PromptSetting> settings) {
        int plane = image.height() * image.width();
        int k = organs.size();
        float[] t = new float[k * plane];
        for (int j = 0; j < k; j++) {
            int o = organs.get(j);
            for (int p = 0; p < plane; p++) {
                t[j * plane + p] = labels[p] == o ? 1f : 0f;
            }
        }
        List<boolean[][]> masks = segmenter.segment(image, t, k, settings);
        Map<String, boolean[]> out = new LinkedHashMap<>();
        for (int s = 0; s < settings.size(); s++) {
            for (int j = 0; j < k; j++) {
                out.put(settings.get(s).id() + "#" + organs.get(j), masks.get(s)[j]);
            }
        }
        return out;
    }

    /** Voxel index of each (row, col) pixel of slice {@code index}, in {@link Slicer}'s layout. */
    private static int[] sliceOffsets(Grid g, int axis, int index) {
        int[] hw = Slicer.sliceShape(g, axis);
        int a = axis == 0 ? 1 : 0;
        int b = axis == 2 ? 1 : 2;
        int[] offsets = new int[hw[0] * hw[1]];
        int[] ijk = new int[3];
        ijk[axis] = index;
        for (int r = 0; r < hw[0]; r++) {
            for (int c = 0; c < hw[1]; c++) {
                ijk[a] = r;
                ijk[b] = c;
                offsets[r * hw[1] + c] = g.index(ijk[0], ijk[1], ijk[2]);
            }
        }
        return offsets;
    }
}
