package org.medsa.train.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medsa.adapters.MedsaModel;
import org.medsa.core.modeling.PromptableModel;
import org.medsa.core.modeling.sam2.Sam2Config;
import org.medsa.core.modeling.sam2.Sam2Model;
import org.medsa.core.testing.Fixtures;
import org.medsa.data.dataset.MsdDataset;
import org.medsa.data.dataset.Subset;
import org.medsa.data.phantom.Phantom;
import org.medsa.data.phantom.Rendering;
import org.medsa.data.transforms.Intensity;
import org.medsa.data.volume.LabelVolume;
import org.medsa.data.volume.OrganClicks;
import org.medsa.data.volume.VolumePair;
import org.medsa.inference.Propagation;
import org.medsa.inference.SegmentationInput;
import org.medsa.inference.VolumePrompts;
import org.medsa.inference.VolumeSegmenter;
import org.medsa.metrics.SegmentationMetrics;
import org.medsa.train.training.TinyModels;

/**
 * The {@code 3d-1-point} setting on non-square phantom volumes, for SAM (propagation) and SAM 2
 * (tracking with memory): each organ's row equals the Dice of the segmenter's own masks from one
 * click at {@link OrganClicks#centre}, computed here by hand; per-slice settings and the 3D one
 * share one table; SAM 2 takes the per-slice settings too.
 */
class VolumeOnePointTest {

    @TempDir
    static Path tmp;
    static MsdDataset val;

    @BeforeAll
    static void data() throws Exception {
        val = heldOutMrPhantom(tmp);
    }

    /** The held-out case of a non-square (36×22×10) MR-like phantom dataset written under {@code dir}. */
    static MsdDataset heldOutMrPhantom(Path dir) throws Exception {
        Path data = Phantom.builder().seed(23).size(36, 22, 10).cases(3).validationCases(1).rendering(Rendering.MR).build()
                .writeMsd(dir.resolve("msd"));
        return MsdDataset.slices(data).optSubset(Subset.VALIDATION).setSampling(1, false).build();
    }

    /** The rows of 3d-1-point against the same clicks through VolumeSegmenter, scored here. */
    static void check(PromptableModel model, NDManager m, EvalReport report) {
        String caseId = val.caseIds().get(0);
        VolumePair vols = val.preparedCase(caseId).volumes();
        LabelVolume truth = vols.label();
        int[] shape = {truth.grid().nz(), truth.grid().ny(), truth.grid().nx()};
        double[] sp = truth.grid().spacing();
        int rows = 0;
        try (VolumeSegmenter seg = new VolumeSegmenter(model, m)) {
            for (int organ : truth.foregroundLabels()) {
                int[] click = OrganClicks.centre(truth, organ, 2);
                int[] labels = seg.segment(SegmentationInput.of(vols.image(), null), new VolumePrompts().point(organ, click[0],
                        click[1], click[2], true), VolumeSegmenter.Options.builder().intensity(Intensity.window(0, 1))
                        .propagate(Propagation.Direction.BOTH, Integer.MAX_VALUE).build()).labels().data();
                boolean[] pred = new boolean[labels.length];
                boolean[] ref = new boolean[labels.length];
                for (int v = 0; v < pred.length; v++) {
                    pred[v] = labels[v] == organ;
                    ref[v] = truth.data()[v] == organ;
                }
                String name = val.organs().get(organ);
                EvalReport.Row row = report.rows().stream().filter(r -> r.setting().equals("3d-1-point")
                        && r.organ().equals(name)).findFirst().orElseThrow();
                assertEquals(SegmentationMetrics.dice(pred, ref), row.dice(), 1e-12, name);
                assertEquals(SegmentationMetrics.hd95(pred, ref, new int[] {shape[0], shape[1], shape[2]},
                        new double[] {sp[2], sp[1], sp[0]}), row.hd95(), 1e-9, name);
                rows++;
            }
        }
        assertTrue(rows >= 3, "organs scored: " + rows);
    }

    @Test
    void samPropagatesFromOneClickPerOrgan() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            MedsaModel model = TinyModels.adapted(TinyModels.writeBase(tmp.resolve("base.pth")), m);
            EvalReport report = new Evaluator(model, m, 5, TinyModels.quiet()).evaluate(val,
                    PromptSetting.parseList("1-point,3d-1-point"));
            assertFalse(report.rows().stream().noneMatch(r -> r.setting().equals("1-point")), "the per-slice setting is there");
            check(model, m, report);
        }
    }

    @Test
    void sam2TracksFromOneClickPerOrgan() {
        try (NDManager m = NDManager.newBaseManager()) {
            Sam2Model model = sam2(m);
            Evaluator ev = new Evaluator(model, m, 5, TinyModels.quiet());
            check(model, m, ev.evaluate(val, List.of(PromptSetting.parse("3d-1-point"))));
        }
    }

    static Sam2Model sam2(NDManager m) {
        return Sam2Model.load(Sam2Config.load(Fixtures.path("sam2_tiny", "config.json")), Fixtures.path("sam2_tiny",
                "checkpoint.pt"), m);
    }
}
