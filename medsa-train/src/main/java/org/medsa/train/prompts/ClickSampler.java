package org.medsa.train.prompts;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import org.medsa.core.MedsaException;

/**
 * Batched clicks sampled from ground-truth masks (docs/prompts.md): uniform positive clicks,
 * negative clicks near the organ, corrective clicks from a prediction's errors; computed with
 * NDArray operations on the masks' device. Boxes are {@link BoxSampler}'s.
 *
 * <h2>Conventions</h2>
 *
 * <ul>
 *   <li>Masks are (B, H, W) (or (B, 1, H, W)) in the model-input frame, float (foreground where
 *       the value is &gt; 0.5) or boolean.
 *   <li>A click is (x, y) = (column, row) of a pixel, float32; SAM's prompt encoder adds the 0.5
 *       pixel-centre offset itself. Labels are float32, 1 = foreground, 0 = background.
 *   <li>Boxes are (B, 4) float32 (x0, y0, x1, y1) in inclusive pixel coordinates: a mask covering
 *       columns 3..7 and rows 2..5 has the tight box (3, 2, 7, 5). Box sides and areas are
 *       inclusive: side = x1 − x0 + 1, area = (x1 − x0 + 1)·(y1 − y0 + 1), also in IoU.
 *   <li>Pixels beyond the image count as background (for interior margins and distances).
 * </ul>
 *
 * <h2>Randomness, devices and memory</h2>
 *
 * Randomness comes only from NDArray random ops, which use PyTorch's global generator: after
 * {@code Seeds.seedEngine(seed)} every sampler is reproducible (the trainer
 * reseeds per step so that a resumed run draws the same prompts). All work runs in a sub-manager
 * of the masks' manager on the masks' device; only the returned arrays survive, attached to the
 * masks' manager. Nothing is copied to the host, except five scalars in the interior-most
 * corrective click (the corners of the error regions' union box and the largest squared distance).
 */
public final class ClickSampler {

    /** Default interior margin of {@link #randomPositiveClicks(NDArray, int, int)}: 2 px. */
    public static final int INTERIOR_MARGIN = 2;
    /** Default negative-click band, as a fraction of the tight box's longer side. */
    public static final double NEGATIVE_BAND = 0.1;

    private ClickSampler() {}


    /** {@code k} uniform positive clicks per sample; see {@link #randomPositiveClicks(NDArray, int, int)}. */
    public static PromptBatch randomPositiveClicks(NDArray masks, int k) {
        return randomPositiveClicks(masks, k, 0);
    }

    /**
     * {@code k} clicks per sample, uniform over the foreground and without replacement ("1-point"
     * with k = 1, "3-points" with k = 3); labels 1.
     *
     * <p>With {@code interiorMargin} m &gt; 0 the clicks are restricted to pixels whose
     * (2m + 1)×(2m + 1) neighbourhood is all foreground (for m = 2: Euclidean distance ≥ 3 to the
     * nearest background pixel), when the mask has such pixels; otherwise the whole foreground is
     * used. A mask with fewer than k candidate pixels repeats them (every pixel is used before any
     * repeats). An empty mask gets k uniform clicks anywhere in the image with label 0.
     *
     * @return clicks (B, k, 2) and labels (B, k); no box
     */
    public static PromptBatch randomPositiveClicks(NDArray masks, int k, int interiorMargin) {
        MaskOps.requireAtLeastOne(k, "k");
        if (interiorMargin < 0) {
            throw new MedsaException("interiorMargin must be >= 0, got " + interiorMargin);
        }
        try (NDManager scope = MaskOps.scopeFor(masks)) {
            NDArray fg = MaskOps.foreground(masks, scope);
            long batch = fg.getShape().get(0);
            NDArray hasForeground = MaskOps.above(MaskOps.area(fg), 0.5f);
            NDArray candidates = fg;
            if (interiorMargin > 0) {
                NDArray interior = MaskOps.erode(fg, interiorMargin, scope);
                candidates =
                        MaskOps.choose(MaskOps.above(MaskOps.area(interior), 0.5f), interior, fg);
            }
            // An empty target has no foreground to click: background clicks anywhere instead.
            NDArray region = MaskOps.choose(hasForeground, candidates, fg.neg().add(1f));
            NDArray labels = scope.ones(new Shape(batch, k)).mul(hasForeground.reshape(batch, 1));
            return MaskOps.handOver(uniformClicks(region, labels, k, scope), masks.getManager());
        }
    }

    /** Negative clicks in the default band (0.1 of the box's longer side). */
    public static PromptBatch negativeClicks(NDArray masks, int k) {
        return negativeClicks(masks, k, NEGATIVE_BAND);
    }

    /**
     * {@code k} background clicks per sample (label 0), uniform and without replacement over the
     * background pixels within ⌈band · max(box side)⌉ px of the target's tight box (the box
     * itself included, so holes and concavities count). Fallbacks: no background in that band →
     * anywhere in the background; no background at all (an all-foreground image) → clicks inside
     * the foreground with label 1. An empty mask's tight box is the whole image, so its clicks are
     * uniform over the image.
     *
     * @return clicks (B, k, 2) and labels (B, k); no box
     */
    public static PromptBatch negativeClicks(NDArray masks, int k, double band) {
        MaskOps.requireAtLeastOne(k, "k");
        if (!(band >= 0)) {
            throw new MedsaException("band must be >= 0, got " + band);
        }
        try (NDManager scope = MaskOps.scopeFor(masks)) {
            NDArray fg = MaskOps.foreground(masks, scope);
            Shape shape = fg.getShape();
            long batch = shape.get(0);
            NDArray boxes = MaskOps.tightBoxes(fg, scope).reshape(batch, 4, 1, 1);
            NDArray x0 = boxes.get(":, 0");
            NDArray y0 = boxes.get(":, 1");
            NDArray x1 = boxes.get(":, 2");
            NDArray y1 = boxes.get(":, 3");
            NDArray longerSide = x1.sub(x0).maximum(y1.sub(y0)).add(1f);
            // Round the band up to whole pixels (any band > 0 reaches at least the adjacent ring);
            // the small slack keeps float rounding of e.g. 0.1 · 30 from adding a pixel.
            NDArray margin = longerSide.mul((float) band).sub(1e-4f).neg().floor().neg();
            NDArray x = MaskOps.columns(scope, shape.get(2));
            NDArray y = MaskOps.rows(scope, shape.get(1));
            NDArray insideX =
                    x.gte(x0.sub(margin)).toType(DataType.FLOAT32, false)
                            .mul(x.lte(x1.add(margin)).toType(DataType.FLOAT32, false));
            NDArray insideY =
                    y.gte(y0.sub(margin)).toType(DataType.FLOAT32, false)
                            .mul(y.lte(y1.add(margin)).toType(DataType.FLOAT32, false));
            NDArray background = fg.neg().add(1f);
            NDArray bandRegion = background.mul(insideX).mul(insideY);
            NDArray hasBand = MaskOps.above(MaskOps.area(bandRegion), 0.5f);
            NDArray hasBackground = MaskOps.above(MaskOps.area(background), 0.5f);
            NDArray region =
                    MaskOps.choose(
                            hasBand, bandRegion, MaskOps.choose(hasBackground, background, fg));
            NDArray labels =
                    scope.ones(new Shape(batch, k))
                            .mul(hasBackground.neg().add(1f).reshape(batch, 1));
            return MaskOps.handOver(uniformClicks(region, labels, k, scope), masks.getManager());
        }
    }

    /**
     * One corrective click per sample from the error of the previous prediction (SAM's iterative
     * training, interactive evaluation). P = logits &gt; 0, G = mask; FN = G ∧ ¬P, FP = P ∧ ¬G; the
     * larger set by area is chosen (FN on a tie), label 1 for FN and 0 for FP. The click is uniform
     * in the chosen set ({@code interiorMost} false, training) or at its interior-most pixel
     * ({@code interiorMost} true, evaluation): the argmax of the exact Euclidean distance to the
     * nearest pixel outside the set (beyond the image counts as outside), ties broken uniformly
     * at random. Elongated sets have a ridge of equally deep pixels, any of which may be chosen.
     *
     * <p>Without any error the click goes to the foreground (interior-most or uniform) with label
     * 1; when both mask and prediction are empty, to the background with label 0.
     *
     * <p>Cost of the interior-most click: about log₂H + (largest distance) passes of
     * element-wise ops over the union of the error regions' boxes (B, h, w); it reads back the
     * four corners of that union and one scalar bounding the second pass.
     *
     * @param masks ground truth (B, H, W)
     * @param logits previous prediction's logits at the masks' resolution, (B, H, W) or (B, 1, H, W)
     * @return clicks (B, 1, 2) and labels (B, 1), to {@link PromptBatch#append} to earlier clicks
     */
    public static PromptBatch correctiveClicks(NDArray masks, NDArray logits, boolean interiorMost) {
        long[] maskShape = MaskOps.batchHeightWidth(masks, "masks");
        long[] logitShape = MaskOps.batchHeightWidth(logits, "logits");
        if (!Arrays.equals(maskShape, logitShape)) {
            throw new MedsaException(
                    "logits " + logits.getShape() + " must match masks " + masks.getShape()
                            + " (resize the logits to the masks' resolution first)");
        }
        try (NDManager scope = MaskOps.scopeFor(masks)) {
            NDArray fg = MaskOps.foreground(masks, scope);
            long batch = maskShape[0];
            long height = maskShape[1];
            long width = maskShape[2];
            NDArray positive = logits.gt(0f);
            positive.attach(scope);
            NDArray predicted =
                    positive.toType(DataType.FLOAT32, false).reshape(batch, height, width);
            NDArray falseNegative = fg.mul(predicted.neg().add(1f));
            NDArray falsePositive = predicted.mul(fg.neg().add(1f));
            NDArray missedArea = MaskOps.area(falseNegative);
            NDArray spuriousArea = MaskOps.area(falsePositive);
            NDArray useMissed =
                    MaskOps.above(missedArea, 0.5f)
                            .mul(missedArea.gte(spuriousArea).toType(DataType.FLOAT32, false));
            NDArray anyError = MaskOps.above(missedArea.add(spuriousArea), 0.5f);
            NDArray useSpurious = anyError.sub(useMissed);
            NDArray hasForeground = MaskOps.above(MaskOps.area(fg), 0.5f);
            NDArray noErrorRegion = MaskOps.choose(hasForeground, fg, fg.neg().add(1f));
            NDArray region =
                    MaskOps.choose(
                            useMissed,
                            falseNegative,
                            MaskOps.choose(useSpurious, falsePositive, noErrorRegion));
            NDArray labels =
                    useMissed.add(anyError.neg().add(1f).mul(hasForeground)).reshape(batch, 1);
            NDArray points =
                    interiorMost
                            ? MaskOps.interiorMostPoints(region, scope)
                            : MaskOps.indicesToPoints(
                                    MaskOps.pickUniform(region.reshape(batch, height * width), 1, scope),
                                    height,
                                    width,
                                    scope);
            return MaskOps.handOver(new PromptBatch(points, labels, null), masks.getManager());
        }
    }


    /** k uniform clicks per sample in {@code region} (B, H, W) with the given labels (B, k). */
    private static PromptBatch uniformClicks(
            NDArray region, NDArray labels, int k, NDManager scope) {
        Shape shape = region.getShape();
        long batch = shape.get(0);
        long height = shape.get(1);
        long width = shape.get(2);
        NDArray index = MaskOps.pickUniform(region.reshape(batch, height * width), k, scope);
        NDArray points = MaskOps.indicesToPoints(index, height, width, scope);
        return new PromptBatch(points, labels, null);
    }
}
