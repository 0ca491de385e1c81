package org.medsa.train.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.medsa.core.MedsaException;
import org.medsa.core.modeling.Sam;
import org.medsa.core.nn.Ops;
import org.medsa.core.predictor.RgbImage;
import org.medsa.core.predictor.SamPredictor;
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
 * <p>Prompt sampling draws from PyTorch's global generator: seed it
 * ({@code Seeds.seedEngine}) before each call for reproducible results.
 */
public final class PromptedSegmenter implements AutoCloseable {

    private final Sam model;
    private final NDManager manager;
    private final SamPredictor predictor;

    /** A segmenter for {@code model}; its arrays live under {@code parent}, on the model's device. */
    public PromptedSegmenter(Sam model, NDManager parent) {
        this.model = model;
        this.predictor = new SamPredictor(model, parent);
        this.manager = parent.newSubManager(predictor.device());
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
    public Sam model() {
        return model;
    }

    @Override
    public void close() {
        manager.close();
        predictor.close();
    }
}
