package org.medsa.train.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.medsa.adapters.MedsaModel;
import org.medsa.core.predictor.Prompt;
import org.medsa.core.predictor.RgbImage;
import org.medsa.core.predictor.SamPrediction;
import org.medsa.core.predictor.SamPredictor;
import org.medsa.data.dataset.MsdDataset;
import org.medsa.data.dataset.Subset;
import org.medsa.data.nifti.NiftiImage;
import org.medsa.data.nifti.NiftiReader;
import org.medsa.data.phantom.Phantom;
import org.medsa.data.phantom.Rendering;
import org.medsa.data.transforms.Intensity;
import org.medsa.data.transforms.Slicer;
import org.medsa.data.volume.Grid;
import org.medsa.data.volume.LabelVolume;
import org.medsa.data.volume.VolumePair;
import org.medsa.inference.Segmentation;
import org.medsa.inference.SegmentationInput;
import org.medsa.inference.VolumePrompts;
import org.medsa.inference.VolumeSegmenter;
import org.medsa.metrics.SegmentationMetrics;
import org.medsa.train.eval.EvalReport;
import org.medsa.train.eval.Evaluator;
import org.medsa.train.eval.PromptSetting;

/**
 * Spec errata 8 on non-square slices, in both orientations: training, validation, evaluation, the
 * predictor and volume segmentation use one input geometry. A model trained briefly on 32×20 (or
 * 20×32) phantom slices in a 32-pixel SAM is validated and evaluated on the same held-out slices
 * (the scores must agree), and one box prompt gives the same mask through the evaluator's path,
 * {@link SamPredictor} and {@link VolumeSegmenter}.
 */
class GeometryAgreementTest {

    @TempDir
    static Path tmp;
    static Path base;

    @BeforeAll
    static void base() throws Exception {
        base = TinyModels.writeBase(tmp.resolve("base.pth"));
    }

    @ParameterizedTest(name = "{0} slices")
    @ValueSource(strings = {"tall", "wide"})
    void trainingValidationEvaluationAndSegmentationAgree(String orientation) throws Exception {
        int[] size = orientation.equals("tall") ? new int[] {32, 20, 6} : new int[] {20, 32, 6};
        Path data = Phantom.builder().seed(17).size(size[0], size[1], size[2]).cases(4).validationCases(1)
                .rendering(Rendering.MR).build().writeMsd(tmp.resolve(orientation));
        MsdDataset train = MsdDataset.slices(data).optSubset(Subset.TRAINING).setSampling(4, false).build();
        MsdDataset val = MsdDataset.slices(data).optSubset(Subset.VALIDATION).setSampling(1, false).build();
        assertEquals(size[0] + "x" + size[1], val.info(0).height() + "x" + val.info(0).width(), "slices keep their shape");
        long seed = 42;
        try (NDManager m = NDManager.newBaseManager()) {
            MedsaModel model = TinyModels.adapted(base, m);
            TrainConfig.Builder cfg = TrainerTest.cfg(12).toBuilder();
            cfg.seed(seed);
            cfg.validationSamples(0); // every validation sample
            cfg.validateEvery(6);
            try (Trainer t = new Trainer(Trainable.adapters(model, base), TrainingData.of(train),
                    TrainingData.of(val), cfg.build(), tmp.resolve("run-" + orientation), List.of(Device.cpu()),
                            TinyModels.quiet())) {
                t.run(false);
            }
            // validation measures what evaluation measures: the same model, slices and clicks
            double validation = new Validator(model, TrainingData.of(val), 0, seed).dice();
            double evaluation = new Evaluator(model, m, seed, TinyModels.quiet())
                    .evaluate(val, List.of(PromptSetting.parse("1-point"))).meanDice("1-point");
            assertTrue(Math.abs(validation - evaluation) <= 0.05, "validation " + validation + " vs evaluation " + evaluation);
            assertEquals(evaluation, validation, 1e-9, "with every sample and the same seed they are the same computation");

            // one box, three paths: the evaluator's tight box (bbox-1.0), the predictor, the volume segmenter
            EvalReport report = new Evaluator(model, m, seed, TinyModels.quiet())
                    .evaluate(val, List.of(PromptSetting.parse("bbox-1.0")));
            String caseId = val.caseIds().get(0);
            Path imageFile = val.cases().get(0).image();
            NiftiImage nifti = NiftiReader.read(imageFile);
            VolumePair prepared = val.preparedCase(caseId).volumes();
            assertTrue(prepared.grid().matches(nifti.grid(), 1e-9), "phantoms are written in RAS: no reorientation");
            Grid g = prepared.grid();
            int organ = 1;
            LabelVolume truth = prepared.label();
            VolumePrompts boxes = new VolumePrompts();
            int boxed = 0;
            for (int k = 0; k < g.nz(); k++) {
                int[] lab = Slicer.slice(truth, 2, k);
                int[] box = tightBox(lab, g.nx(), g.ny(), organ); // rows = i, cols = j
                if (box != null) {
                    boxes.box(box[0], box[1], k, box[2], box[3], k);
                    boxed++;
                }
            }
            assertTrue(boxed >= 2, "the organ spans slices");
            try (VolumeSegmenter segmenter = new VolumeSegmenter(model, m)) {
                // the dataset's MR preprocessing is the segmenter's "mr" intensity
                Segmentation s = segmenter.segment(SegmentationInput.read(imageFile), boxes,
                        VolumeSegmenter.Options.builder().axis(2).intensity(Intensity.mr()).build());
                int[] labels = s.labels().data();
                boolean[] pred = new boolean[labels.length];
                boolean[] want = new boolean[labels.length];
                for (int v = 0; v < labels.length; v++) {
                    pred[v] = labels[v] == 1;
                    want[v] = truth.data()[v] == organ;
                }
                double segmentDice = SegmentationMetrics.dice(pred, want);
                // two empty masks would agree too: the boxes must find the organ
                assertTrue(segmentDice > 0, "segmenter Dice of the liver from its boxes, " + caseId + ": " + segmentDice);
                EvalReport.Row row = report.rows().stream()
                        .filter(r -> r.setting().equals("bbox-1.0") && r.caseId().equals(caseId) && r.organ().equals("liver"))
                        .findFirst().orElseThrow();
                assertEquals(row.dice(), segmentDice, 1e-12, "evaluator (bbox-1.0) and segmenter, " + caseId);

                // and slice by slice, the predictor on the same slice image and box gives the segmenter's mask
                Segmentation.SliceResult first = s.slices().get(0);
                try (SamPredictor predictor = new SamPredictor(model, m)) {
                    int[] hw = Slicer.sliceShape(g, 2);
                    RgbImage img = RgbImage.fromGray(Slicer.slice(prepared.image(), 2, first.slice()), hw[0], hw[1]);
                    predictor.setImage(img);
                    double[] b = first.prompt().box();
                    SamPrediction p = predictor.predict(new Prompt().box(b[0], b[1], b[2], b[3]), false);
                    assertArrayEquals(p.mask(0), first.mask(), "predictor and segmenter on slice " + first.slice());
                    int area = 0;
                    for (boolean v : first.mask()) {
                        area += v ? 1 : 0;
                    }
                    assertTrue(area > 0, "the mask of slice " + first.slice() + " is not empty");
                }
            }
        }
    }

    /** The tight box (i0, j0, i1, j1) of a label in an axial slice (rows = i, cols = j), or null. */
    private static int[] tightBox(int[] lab, int rows, int cols, int organ) {
        int r0 = Integer.MAX_VALUE, c0 = Integer.MAX_VALUE, r1 = -1, c1 = -1;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                if (lab[r * cols + c] == organ) {
                    r0 = Math.min(r0, r);
                    r1 = Math.max(r1, r);
                    c0 = Math.min(c0, c);
                    c1 = Math.max(c1, c);
                }
            }
        }
        return r1 < 0 ? null : new int[] {r0, c0, r1, c1};
    }
}
