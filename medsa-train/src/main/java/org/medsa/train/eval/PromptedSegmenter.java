package org.medsa.train.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.medsa.core.MedsaException;
import org.medsa.core.modeling.PromptableModel;
import org.medsa.core.modeling.Sam;
import org.medsa.core.modeling.sam2.Sam2Model;
import org.medsa.core.nn.Ops;
import org.medsa.core.predictor.Prompt;
import org.medsa.core.predictor.RgbImage;
import org.medsa.core.predictor.SamPredictor;
import org.medsa.inference.tracking.SliceSource;
import org.medsa.inference.tracking.TrackedSlice;
import org.medsa.inference.tracking.VolumeTracker;
import org.medsa.train.prompts.BoxSampler;
import org.medsa.train.prompts.ClickSampler;
import org.medsa.train.prompts.PromptBatch;

/**
 * Segments the targets of one image from prompts sampled on their ground truth, the way the paper
 * evaluates: the image goes through a {@link SamPredictor} (the model's input geometry, as every
 * user of the model), prompts are sampled on the device in the image's own pixels, and masks are
 * mapped back to the image before anything is scored. The {@link Evaluator} and the training
 * {@link org.medsa.train.training.Validator} both use it, so validation measures what evaluation
 * measures.
 *
 * <p>A SAM 2 model segments each image as a one-slice volume of a {@link VolumeTracker}, every
 * (setting, target) an object prompted on that slice without memory: what {@code segment} without
 * propagation and the MONAI Label {@code medsa_2d} model compute for the same clicks, and what the
 * official video predictor's {@code add_new_points_or_box} gives. Its multimask rule (one click
 * gives three masks and the best predicted IoU wins) and its corrective rounds (the previous logits
 * as mask input) are SAM 2's own. The prompts are drawn exactly as for SAM, so both families are
 * scored on the same clicks and boxes.
 *
 * <p>Prompt sampling draws from PyTorch's global generator: seed it
 * ({@code Seeds.seedEngine}) before each call for reproducible results.
 */
public final class PromptedSegmenter implements AutoCloseable {

    private final PromptableModel model;
    private final NDManager manager;
    /** The SAM path's predictor (null for SAM 2). */
    private final SamPredictor predictor;
    /** The SAM 2 model (null for SAM). */
    private final Sam2Model tracked;

    /**
     * A segmenter for {@code model}, a SAM ({@link Sam}) or SAM 2 ({@link Sam2Model}) model; its
     * arrays live under {@code parent}, on the model's device.
     */
    public PromptedSegmenter(PromptableModel model, NDManager parent) {
        this.model = model;
        if (model instanceof Sam sam) {
            this.predictor = new SamPredictor(sam, parent);
            this.tracked = null;
        } else if (model instanceof Sam2Model sam2) {
            this.predictor = null;
            this.tracked = sam2;
        } else {
            throw new MedsaException("cannot segment with " + model.describe());
        }
        this.manager = parent.newSubManager(model.device());
    }

    /**
     * Segments {@code k} targets of one image under each setting.
     *
     * @param truth (k, H, W) row-major targets in [0, 1] (foreground where &gt; 0.5), H × W the image's size
     * @return per setting (in order), k masks of H × W
     */
    public List<boolean[][]> segment(RgbImage image, float[] truth, int k, List<PromptSetting> settings) {
        int h = image.height();
        int w = image.width();
        if (truth.length != k * h * w) {
            throw new MedsaException(k + " targets of " + h + "x" + w + " need " + k * h * w + " values, got "
                    + truth.length);
        }
        if (tracked != null) {
            return segmentTracked(image, truth, k, settings);
        }
        predictor.setImage(image);
        List<boolean[][]> out = new ArrayList<>();
        Ops.noGrad(() -> {
            try (NDManager m = manager.newSubManager()) {
                NDArray targets = m.create(truth, new Shape(k, h, w));
                for (PromptSetting s : settings) {
                    boolean[] all = logits(targets, s).gt(0).toBooleanArray();
                    boolean[][] masks = new boolean[k][h * w];
                    for (int j = 0; j < k; j++) {
                        System.arraycopy(all, j * h * w, masks[j], 0, h * w);
                    }
                    out.add(masks);
                }
            }
            return null;
        });
        return out;
    }

    /** (K, H, W) logits at the image's size for K targets (K, H, W) under a setting. */
    private NDArray logits(NDArray truth, PromptSetting s) {
        switch (s.kind()) {
            case POINTS: {
                PromptBatch pb = ClickSampler.randomPositiveClicks(truth, (int) s.value());
                Sam.DecoderOutput p = decode(pb.points(), pb.labels(), null, null, s.value() == 1);
                return toImage(bestByIou(p));
            }
            case BOX_AT_IOU: {
                NDArray boxes = BoxSampler.boxesAtIou(truth, s.value(), BoxSampler.BOX_CANDIDATES);
                Sam.DecoderOutput p = decode(null, null, boxes, null, false);
                return toImage(p.lowResLogits().get(":, 0:1"));
            }
            case ITERATIVE_CLICKS:
            default: {
                PromptBatch pb = ClickSampler.randomPositiveClicks(truth, 1);
                Sam.DecoderOutput p = decode(pb.points(), pb.labels(), null, null, true);
                NDArray low = bestByIou(p);
                for (int r = 1; r < (int) s.value(); r++) {
                    pb = pb.append(ClickSampler.correctiveClicks(truth, toImage(low), true));
                    p = decode(pb.points(), pb.labels(), null, low, false);
                    low = p.lowResLogits().get(":, 0:1");
                }
                return toImage(low);
            }
        }
    }

    /** The SAM 2 path of {@link #segment}: one tracker over the image, object {@code s·k + j} for setting s, target j. */
    private List<boolean[][]> segmentTracked(RgbImage image, float[] truth, int k, List<PromptSetting> settings) {
        int h = image.height();
        int w = image.width();
        List<boolean[][]> out = new ArrayList<>();
        try (NDManager m = manager.newSubManager();
                VolumeTracker tracker = VolumeTracker.open(tracked, SliceSource.of(List.of(image)), m)) {
            NDArray targets = m.create(truth, new Shape(k, h, w));
            for (PromptSetting s : settings) {
                int first = out.size() * k;
                float[][] logits = Ops.noGrad(() -> trackedLogits(tracker, targets, s, first, k));
                boolean[][] masks = new boolean[k][h * w];
                for (int j = 0; j < k; j++) {
                    for (int p = 0; p < h * w; p++) {
                        masks[j][p] = logits[j][p] > 0;
                    }
                }
                out.add(masks);
            }
        }
        return out;
    }

    /** Logits (k rows of H·W) of objects first..first+k-1 prompted on slice 0 under a setting. */
    private static float[][] trackedLogits(VolumeTracker tracker, NDArray truth, PromptSetting s, int first, int k) {
        float[][] logits = new float[k][];
        switch (s.kind()) {
            case POINTS: {
                PromptBatch pb = ClickSampler.randomPositiveClicks(truth, (int) s.value());
                addClicks(tracker, pb, first, logits, true);
                return logits;
            }
            case BOX_AT_IOU: {
                float[] b = BoxSampler.boxesAtIou(truth, s.value(), BoxSampler.BOX_CANDIDATES).toFloatArray();
                for (int j = 0; j < k; j++) {
                    Prompt p = new Prompt().box(b[4 * j], b[4 * j + 1], b[4 * j + 2], b[4 * j + 3]);
                    logits[j] = tracker.addPrompt(0, first + j, p).logits(first + j);
                }
                return logits;
            }
            case ITERATIVE_CLICKS:
            default: {
                addClicks(tracker, ClickSampler.randomPositiveClicks(truth, 1), first, logits, true);
                long[] hw = {truth.getShape().get(1), truth.getShape().get(2)};
                for (int r = 1; r < (int) s.value(); r++) {
                    float[] flat = new float[(int) (k * hw[0] * hw[1])];
                    for (int j = 0; j < k; j++) {
                        System.arraycopy(logits[j], 0, flat, (int) (j * hw[0] * hw[1]), logits[j].length);
                    }
                    NDArray current = truth.getManager().create(flat, truth.getShape()).toDevice(truth.getDevice(), false);
                    addClicks(tracker, ClickSampler.correctiveClicks(truth, current, true), first, logits, false);
                }
                return logits;
            }
        }
    }

    /**
     * Gives each of the k objects its row of clicks: as the slice's prompt ({@code replace}, SAM 2's
     * {@code clear_old_points}) or added to its earlier clicks, whose logits become the mask input.
     */
    private static void addClicks(VolumeTracker tracker, PromptBatch pb, int first, float[][] logits, boolean replace) {
        int n = (int) pb.points().getShape().get(1);
        float[] xy = pb.points().toFloatArray();
        float[] labels = pb.labels().toFloatArray();
        for (int j = 0; j < logits.length; j++) {
            Prompt p = new Prompt();
            for (int i = 0; i < n; i++) {
                p.point(xy[(j * n + i) * 2], xy[(j * n + i) * 2 + 1], (int) labels[j * n + i]);
            }
            TrackedSlice t = replace ? tracker.addPrompt(0, first + j, p) : tracker.addClicks(0, first + j, p);
            logits[j] = t.logits(first + j);
        }
    }

    /**
     * Decodes the K targets' prompts one target at a time, as {@code SamPredictor.predict} and the
     * volume segmenter do, so a prompt gives bit for bit the same mask in evaluation as in
     * segmentation (a batched decode may round differently). Only the low-res logits and the IoU
     * predictions are kept.
     */
    private Sam.DecoderOutput decode(NDArray points, NDArray labels, NDArray boxes, NDArray maskInput, boolean multimask) {
        NDArray any = points != null ? points : boxes;
        long k = any.getShape().get(0);
        NDList low = new NDList();
        NDList iou = new NDList();
        for (long j = 0; j < k; j++) {
            String row = j + ":" + (j + 1);
            Sam.DecoderOutput p = predictor.decode(points == null ? null : points.get(row), labels == null ? null
                    : labels.get(row),
                    boxes == null ? null : boxes.get(row), maskInput == null ? null : maskInput.get(row), multimask);
            low.add(p.lowResLogits());
            iou.add(p.iouPredictions());
        }
        return new Sam.DecoderOutput(NDArrays.concat(low, 0), NDArrays.concat(iou, 0), null, null, null, null);
    }

    private NDArray toImage(NDArray lowRes) {
        return predictor.masksToOriginal(lowRes).squeeze(1);
    }

    /** Per sample, the mask with the highest predicted IoU: (B, 1, L, L). */
    public static NDArray bestByIou(Sam.DecoderOutput p) {
        NDArray logits = p.lowResLogits();
        long c = logits.getShape().get(1);
        if (c == 1) {
            return logits;
        }
        NDArray oneHot = p.iouPredictions().argMax(1).oneHot((int) c).toType(logits.getDataType(), false);
        return logits.mul(oneHot.expandDims(-1).expandDims(-1)).sum(new int[] {1}, true);
    }

    /** The model this segmenter runs. */
    public PromptableModel model() {
        return model;
    }

    @Override
    public void close() {
        manager.close();
        if (predictor != null) {
            predictor.close();
        }
    }
}
