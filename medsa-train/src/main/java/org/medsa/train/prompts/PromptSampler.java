package org.medsa.train.prompts;

import org.medsa.core.MedsaException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.Objects;

/**
 * Batched click and box prompts sampled from ground-truth masks (spec §A.7, §B.7.3), computed
 * with NDArray operations on the masks' device.
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
 * {@code Engine.getInstance().setRandomSeed(seed)} every sampler is reproducible (the trainer
 * reseeds per step so that a resumed run draws the same prompts). All work runs in a sub-manager
 * of the masks' manager on the masks' device; only the returned arrays survive, attached to the
 * masks' manager. Nothing is copied to the host, except five scalars in the interior-most
 * corrective click (the corners of the error regions' union box and the largest squared distance).
 */
public final class PromptSampler {

    /** Default interior margin of {@link #randomPositiveClicks(NDArray, int, int)}: 2 px. */
    public static final int INTERIOR_MARGIN = 2;
    /** Default negative-click band, as a fraction of the tight box's longer side. */
    public static final double NEGATIVE_BAND = 0.1;
    /** SAM's box jitter: std of each coordinate as a fraction of the box side. */
    public static final double JITTER_FRACTION = 0.1;
    /** SAM's box jitter: cap on each coordinate's shift, in pixels. */
    public static final double JITTER_MAX_SHIFT = 20.0;
    /** Default number of candidate boxes per tier and sample in {@link #boxesAtIou}. */
    public static final int BOX_CANDIDATES = 64;
    /** A candidate box is accepted when its overlap is within this of the target. */
    public static final double BOX_TOLERANCE = 0.02;
    /** Largest aspect change (relative) of a candidate box against the GT box. */
    public static final double BOX_ASPECT_JITTER = 0.2;

    private PromptSampler() {}

    // ------------------------------------------------------------------------------------ clicks

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
        requireAtLeastOne(k, "k");
        if (interiorMargin < 0) {
            throw new MedsaException("interiorMargin must be >= 0, got " + interiorMargin);
        }
        try (NDManager scope = scopeFor(masks)) {
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
            return handOver(uniformClicks(region, labels, k, scope), masks.getManager());
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
        requireAtLeastOne(k, "k");
        if (!(band >= 0)) {
            throw new MedsaException("band must be >= 0, got " + band);
        }
        try (NDManager scope = scopeFor(masks)) {
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
            return handOver(uniformClicks(region, labels, k, scope), masks.getManager());
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
        if (!java.util.Arrays.equals(maskShape, logitShape)) {
            throw new MedsaException(
                    "logits " + logits.getShape() + " must match masks " + masks.getShape()
                            + " (resize the logits to the masks' resolution first)");
        }
        try (NDManager scope = scopeFor(masks)) {
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
            return handOver(new PromptBatch(points, labels, null), masks.getManager());
        }
    }

    // ------------------------------------------------------------------------------------- boxes

    /**
     * Tight boxes (B, 4) of the masks, inclusive pixel coordinates; an empty mask gets the full
     * image box (0, 0, W − 1, H − 1) (check {@link #nonEmpty} to tell the cases apart).
     */
    public static NDArray tightBoxes(NDArray masks) {
        try (NDManager scope = scopeFor(masks)) {
            NDArray boxes = MaskOps.tightBoxes(MaskOps.foreground(masks, scope), scope);
            boxes.attach(masks.getManager());
            return boxes;
        }
    }

    /** (B) boolean: true where the mask has at least one foreground pixel. */
    public static NDArray nonEmpty(NDArray masks) {
        try (NDManager scope = scopeFor(masks)) {
            NDArray result = MaskOps.nonEmpty(MaskOps.foreground(masks, scope)).gt(0.5f);
            result.attach(masks.getManager());
            return result;
        }
    }

    /** SAM's training jitter with the defaults (std 0.1·side, capped at 20 px). */
    public static NDArray jitteredBoxes(NDArray masks) {
        return jitteredBoxes(masks, JITTER_FRACTION, JITTER_MAX_SHIFT);
    }

    /**
     * SAM-style training boxes: each coordinate of the tight box plus N(0, (fraction·side)²) noise
     * (side = the box's inclusive width for x, height for y), the shift clipped to ±maxShift px;
     * then each pair is reordered (x0 ≤ x1, y0 ≤ y1) and clipped to the image. The coordinates are
     * not rounded. An empty mask jitters the full-image box.
     *
     * @return boxes (B, 4) float32
     */
    public static NDArray jitteredBoxes(NDArray masks, double fraction, double maxShift) {
        if (!(fraction >= 0) || !(maxShift >= 0)) {
            throw new MedsaException(
                    "fraction and maxShift must be >= 0, got " + fraction + ", " + maxShift);
        }
        try (NDManager scope = scopeFor(masks)) {
            NDArray fg = MaskOps.foreground(masks, scope);
            long batch = fg.getShape().get(0);
            float lastRow = fg.getShape().get(1) - 1f;
            float lastColumn = fg.getShape().get(2) - 1f;
            NDArray boxes = MaskOps.tightBoxes(fg, scope);
            NDArray width = boxes.get(":, 2").sub(boxes.get(":, 0")).add(1f);
            NDArray height = boxes.get(":, 3").sub(boxes.get(":, 1")).add(1f);
            NDArray sides = NDArrays.stack(new NDList(width, height, width, height), 1);
            NDArray shift =
                    scope.randomNormal(new Shape(batch, 4))
                            .mul(sides)
                            .mul((float) fraction)
                            .clip(-maxShift, maxShift);
            NDArray moved = boxes.add(shift);
            NDArray ax = moved.get(":, 0");
            NDArray bx = moved.get(":, 2");
            NDArray ay = moved.get(":, 1");
            NDArray by = moved.get(":, 3");
            NDArray result =
                    NDArrays.stack(
                            new NDList(
                                    ax.minimum(bx).clip(0f, lastColumn),
                                    ay.minimum(by).clip(0f, lastRow),
                                    ax.maximum(bx).clip(0f, lastColumn),
                                    ay.maximum(by).clip(0f, lastRow)),
                            1);
            result.attach(masks.getManager());
            return result;
        }
    }

    /** "BBox t" boxes with {@link #BOX_CANDIDATES} candidates per sample. */
    public static NDArray boxesAtIou(NDArray masks, double targetIou) {
        return boxesAtIou(masks, targetIou, BOX_CANDIDATES);
    }

    /** "BBox t" boxes read as IoU(box, tight GT box) = t; see {@link #boxesAtOverlap}. */
    public static NDArray boxesAtIou(NDArray masks, double targetIou, int candidates) {
        return boxesAtOverlap(masks, targetIou, BoxOverlap.IOU, candidates);
    }

    /**
     * Boxes whose overlap with the tight GT box is the target t ("BBox 0.5", "BBox 0.75"), by
     * vectorised rejection sampling: per sample all candidates are drawn at once as integer boxes,
     * each one's overlap is computed exactly, and a uniformly random acceptable candidate (within
     * {@link #BOX_TOLERANCE} of t) is returned, preferring the first tier below; when no candidate
     * is acceptable, the closest one.
     *
     * <ol>
     *   <li>{@code candidates} random boxes whose aspect differs from the GT box's by at most 20 %
     *       (the spec's recipe);
     *   <li>{@code candidates} boxes sweeping the whole aspect range, used only when tier 1 has
     *       nothing acceptable: small boxes often have no integer solution within 20 % (an 11×11
     *       target at IoU 0.75 needs a 15×11 box);
     *   <li>the centred fallback below.
     * </ol>
     *
     * <p>{@link BoxOverlap#IOU}: candidates are enlargements containing the GT box with area
     * |GT|/t, the height solved from the rounded width so rounding costs little, placed with a
     * random offset that keeps them inside the image when possible, and clipped to the image. The
     * fallback is the enlargement by 1/√t per side centred on the GT box. Every returned box
     * contains the GT box.
     *
     * <p>{@link BoxOverlap#GT_COVERAGE}: candidates are GT-sized boxes shifted (random direction,
     * the overlap's width chosen as above and its height solved) so that they cover the fraction t
     * of the GT box, clipped to the image (which never changes the covered part); the fallback is
     * the GT box shrunk by √t per side about its centre.
     *
     * <p>Some targets cannot reach t within the tolerance with integer boxes: tiny ones (a 1-pixel
     * target has IoUs 1, 1/2, 1/3, ...; 7×8, 8×7 and 8×8 have no containing box with IoU in
     * [0.73, 0.77]) and ones too large for the image; they get the closest box. An empty mask gets
     * the full-image box.
     *
     * @return boxes (B, 4) float32, integer-valued, inclusive pixel coordinates
     */
    public static NDArray boxesAtOverlap(
            NDArray masks, double target, BoxOverlap mode, int candidates) {
        Objects.requireNonNull(mode, "mode");
        if (!(target > 0 && target <= 1)) {
            throw new MedsaException("target must be in (0, 1], got " + target);
        }
        requireAtLeastOne(candidates, "candidates");
        try (NDManager scope = scopeFor(masks)) {
            NDArray fg = MaskOps.foreground(masks, scope);
            long batch = fg.getShape().get(0);
            long height = fg.getShape().get(1);
            long width = fg.getShape().get(2);
            NDArray gt = MaskOps.tightBoxes(fg, scope);
            GtBox box =
                    new GtBox(
                            gt.get(":, 0:1"), gt.get(":, 1:2"), gt.get(":, 2:3"), gt.get(":, 3:4"));
            // Free parameter of each candidate: column 0 the fallback, then tier 1, then tier 2.
            NDArray fraction =
                    NDArrays.concat(
                            new NDList(
                                    aspectFactors(batch, candidates, scope),
                                    sweep(batch, candidates, scope)),
                            1);
            NDArray[] drawn =
                    mode == BoxOverlap.IOU
                            ? enlargedCandidates(box, target, fraction, height, width, scope)
                            : shiftedCandidates(box, target, fraction, height, width, scope);
            NDArray achieved = overlap(drawn, box, mode);
            NDArray error = achieved.sub((float) target).abs();
            NDArray acceptable = error.lte((float) BOX_TOLERANCE).toType(DataType.FLOAT32, false);
            // Acceptable candidates rank by tier, uniformly at random within it; the others by
            // closeness, always below every acceptable one.
            float[] tierBonus = new float[1 + 2 * candidates];
            java.util.Arrays.fill(tierBonus, 1, 1 + candidates, 2f);
            java.util.Arrays.fill(tierBonus, 1 + candidates, 1 + 2 * candidates, 1f);
            NDArray acceptedKeys =
                    scope.randomUniform(0f, 1f, error.getShape())
                            .add(scope.create(tierBonus, new Shape(1, tierBonus.length)));
            NDArray keys = MaskOps.choose(acceptable, acceptedKeys, error.neg().sub(1f));
            NDArray chosen = keys.argMax(1).reshape(batch, 1);
            NDArray picked =
                    NDArrays.concat(
                            new NDList(
                                    drawn[0].gather(chosen, 1),
                                    drawn[1].gather(chosen, 1),
                                    drawn[2].gather(chosen, 1),
                                    drawn[3].gather(chosen, 1)),
                            1);
            // Empty masks: gt already holds the full-image box.
            NDArray result = MaskOps.choose(MaskOps.nonEmpty(fg).reshape(batch, 1), picked, gt);
            result.attach(masks.getManager());
            return result;
        }
    }

    /**
     * IoU (B) of two box batches (B, 4) with inclusive pixel areas; 0 for disjoint boxes. The
     * result belongs to {@code a}'s manager.
     */
    public static NDArray boxIou(NDArray a, NDArray b) {
        return boxOverlap(a, b, BoxOverlap.IOU);
    }

    /** |box ∩ gt| / |gt| (B) for box batches (B, 4), inclusive pixel areas. */
    public static NDArray boxCoverage(NDArray boxes, NDArray gtBoxes) {
        return boxOverlap(boxes, gtBoxes, BoxOverlap.GT_COVERAGE);
    }

    // ------------------------------------------------------------------------------ internals

    /** The tight GT box as four (B, 1) columns, with its inclusive width, height and area. */
    private record GtBox(NDArray x0, NDArray y0, NDArray x1, NDArray y1) {
        NDArray width() {
            return x1.sub(x0).add(1f);
        }

        NDArray height() {
            return y1.sub(y0).add(1f);
        }
    }

    private static NDArray boxOverlap(NDArray a, NDArray b, BoxOverlap mode) {
        if (!a.getShape().equals(b.getShape())
                || a.getShape().dimension() != 2
                || a.getShape().get(1) != 4) {
            throw new MedsaException(
                    "boxes must both be (B, 4), got " + a.getShape() + " and " + b.getShape());
        }
        try (NDManager scope = a.getManager().newSubManager(a.getDevice())) {
            NDArray first = MaskOps.local(a, scope);
            NDArray second = MaskOps.local(b, scope);
            NDArray[] boxes = {
                first.get(":, 0:1"), first.get(":, 1:2"), first.get(":, 2:3"), first.get(":, 3:4")
            };
            GtBox gt =
                    new GtBox(
                            second.get(":, 0:1"),
                            second.get(":, 1:2"),
                            second.get(":, 2:3"),
                            second.get(":, 3:4"));
            NDArray result = overlap(boxes, gt, mode).reshape(-1);
            result.attach(a.getManager());
            return result;
        }
    }

    /**
     * Overlap of candidate boxes (four (B, C) arrays) with the GT box ((B, 1) columns): IoU or
     * coverage of the GT box, inclusive pixel areas, (B, C).
     */
    private static NDArray overlap(NDArray[] boxes, GtBox gt, BoxOverlap mode) {
        NDArray interWidth =
                boxes[2].minimum(gt.x1).sub(boxes[0].maximum(gt.x0)).add(1f).maximum(0f);
        NDArray interHeight =
                boxes[3].minimum(gt.y1).sub(boxes[1].maximum(gt.y0)).add(1f).maximum(0f);
        NDArray intersection = interWidth.mul(interHeight);
        NDArray gtArea = gt.width().maximum(0f).mul(gt.height().maximum(0f));
        if (mode == BoxOverlap.GT_COVERAGE) {
            return intersection.div(gtArea.maximum(1e-12f));
        }
        NDArray boxArea =
                boxes[2].sub(boxes[0]).add(1f).maximum(0f)
                        .mul(boxes[3].sub(boxes[1]).add(1f).maximum(0f));
        NDArray union = boxArea.add(gtArea).sub(intersection);
        return intersection.div(union.maximum(1e-12f));
    }

    /** Tier 1: random aspect factors a with |ln a| ≤ ln(1 + jitter), shape (B, C). */
    private static NDArray aspectFactors(long batch, int candidates, NDManager scope) {
        float limit = (float) Math.log(1 + BOX_ASPECT_JITTER);
        return scope.randomUniform(-limit, limit, new Shape(batch, candidates)).exp();
    }

    /** Tier 2: evenly spaced fractions 0..1 across the whole range, shape (B, C). */
    private static NDArray sweep(long batch, int candidates, NDManager scope) {
        float step = candidates > 1 ? 1f / (candidates - 1) : 0f;
        return scope.arange(0f, (float) candidates, 1f)
                .mul(step)
                .reshape(1, candidates)
                .repeat(0, batch);
    }

    /**
     * IOU-mode candidates: four (B, 1 + 2C) arrays x0, y0, x1, y1; column 0 is the centred
     * enlargement by 1/√t per side, then C boxes of aspect factor a (area |GT|/t, width
     * w·√(a/t)), then C widths sweeping w..⌈w/t⌉ (every width a containing box can have).
     */
    private static NDArray[] enlargedCandidates(
            GtBox gt, double target, NDArray free, long height, long width, NDManager scope) {
        long batch = gt.x0.getShape().get(0);
        int candidates = (int) (free.getShape().get(1) / 2);
        NDArray gtWidth = gt.width();
        NDArray gtHeight = gt.height();
        NDArray gtArea = gtWidth.mul(gtHeight);
        NDArray aspect = free.get(":, 0:{}", candidates);
        NDArray sweep = free.get(":, {}:", candidates);
        NDArray jitteredWidths = aspect.mul((float) (1 / target)).sqrt().mul(gtWidth).round();
        NDArray widestWidth = gtWidth.mul((float) (1 / target)).neg().floor().neg();
        NDArray sweptWidths = sweep.mul(widestWidth.sub(gtWidth)).add(gtWidth).round();
        NDArray centredWidth = gtWidth.mul((float) (1 / Math.sqrt(target))).round();
        NDArray widths =
                NDArrays.concat(new NDList(centredWidth, jitteredWidths, sweptWidths), 1)
                        .maximum(gtWidth);
        // Solve the height from the rounded width, so that the area stays close to |GT| / t.
        NDArray heights = gtArea.div(widths.mul((float) target)).round().maximum(gtHeight);
        NDArray[] xs = placeAround(gt.x0, gt.x1, widths.sub(gtWidth), width, 2 * candidates, scope);
        NDArray[] ys = placeAround(gt.y0, gt.y1, heights.sub(gtHeight), height, 2 * candidates, scope);
        return new NDArray[] {xs[0], ys[0], xs[1], ys[1]};
    }

    /**
     * Places an interval grown by {@code extra} (B, 1 + n) pixels around [start, end] (B, 1) so
     * that it still contains it: the part added before the start is uniform over the choices that
     * keep the interval inside [0, size − 1] (over all choices when none does, then clipped).
     * Column 0 (the fallback) is placed in the middle of its choices. Returns {start′, end′}.
     */
    private static NDArray[] placeAround(
            NDArray start, NDArray end, NDArray extra, long size, int random, NDManager scope) {
        long batch = start.getShape().get(0);
        NDArray roomBefore = start;
        NDArray roomAfter = end.neg().add(size - 1f);
        NDArray least = extra.sub(roomAfter).maximum(0f);
        NDArray most = extra.minimum(roomBefore);
        NDArray fits = most.gte(least).toType(DataType.FLOAT32, false);
        NDArray choices = MaskOps.choose(fits, most.sub(least).add(1f), extra.add(1f));
        NDArray position =
                NDArrays.concat(
                        new NDList(
                                scope.full(new Shape(batch, 1), 0.5f),
                                scope.randomUniform(0f, 1f, new Shape(batch, random))),
                        1);
        NDArray before =
                least.mul(fits).add(position.mul(choices).floor().minimum(choices.sub(1f)));
        NDArray newStart = start.sub(before).clip(0f, size - 1f);
        NDArray newEnd = end.add(extra).sub(before).clip(0f, size - 1f);
        return new NDArray[] {newStart, newEnd};
    }

    /**
     * GT_COVERAGE candidates: four (B, 1 + 2C) arrays; column 0 is the GT box shrunk by √t per
     * side about its centre, the others GT-sized boxes shifted to cover the fraction t of the GT
     * box, their overlap width w·√(a·t) for C aspect factors a, then sweeping ⌊t·w⌋..w.
     */
    private static NDArray[] shiftedCandidates(
            GtBox gt, double target, NDArray free, long height, long width, NDManager scope) {
        long batch = gt.x0.getShape().get(0);
        int candidates = (int) (free.getShape().get(1) / 2);
        NDArray gtWidth = gt.width();
        NDArray gtHeight = gt.height();
        NDArray gtArea = gtWidth.mul(gtHeight);
        NDArray aspect = free.get(":, 0:{}", candidates);
        NDArray sweep = free.get(":, {}:", candidates);
        NDArray jitteredOverlap = aspect.mul((float) target).sqrt().mul(gtWidth).round();
        NDArray narrowestOverlap = gtWidth.mul((float) target).floor();
        NDArray sweptOverlap = sweep.mul(gtWidth.sub(narrowestOverlap)).add(narrowestOverlap).round();
        // At least one overlapping column; then solve the overlapping rows for the target.
        NDArray overlapWidth =
                NDArrays.concat(new NDList(jitteredOverlap, sweptOverlap), 1)
                        .maximum(1f)
                        .minimum(gtWidth);
        NDArray overlapHeight =
                gtArea.mul((float) target).div(overlapWidth).round().maximum(1f).minimum(gtHeight);
        Shape shape = overlapWidth.getShape();
        NDArray dx = gtWidth.sub(overlapWidth).mul(randomSigns(shape, scope));
        NDArray dy = gtHeight.sub(overlapHeight).mul(randomSigns(shape, scope));

        NDArray shrunkWidth =
                gtWidth.mul((float) Math.sqrt(target)).round().maximum(1f).minimum(gtWidth);
        NDArray shrunkHeight =
                gtArea.mul((float) target).div(shrunkWidth).round().maximum(1f).minimum(gtHeight);
        NDArray shrunkX0 = gt.x0.add(gtWidth.sub(shrunkWidth).div(2f).floor());
        NDArray shrunkY0 = gt.y0.add(gtHeight.sub(shrunkHeight).div(2f).floor());

        float lastColumn = width - 1f;
        float lastRow = height - 1f;
        return new NDArray[] {
            NDArrays.concat(new NDList(shrunkX0, gt.x0.add(dx).clip(0f, lastColumn)), 1),
            NDArrays.concat(new NDList(shrunkY0, gt.y0.add(dy).clip(0f, lastRow)), 1),
            NDArrays.concat(
                    new NDList(
                            shrunkX0.add(shrunkWidth).sub(1f), gt.x1.add(dx).clip(0f, lastColumn)),
                    1),
            NDArrays.concat(
                    new NDList(
                            shrunkY0.add(shrunkHeight).sub(1f), gt.y1.add(dy).clip(0f, lastRow)),
                    1)
        };
    }

    /** ±1 with equal probability. */
    private static NDArray randomSigns(Shape shape, NDManager scope) {
        return MaskOps.above(scope.randomUniform(0f, 1f, shape), 0.5f).mul(2f).sub(1f);
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

    /** Scratch manager on the masks' device, freed when the sampler returns. */
    private static NDManager scopeFor(NDArray masks) {
        return masks.getManager().newSubManager(masks.getDevice());
    }

    /** Moves the returned arrays out of the scratch manager to the caller's. */
    private static PromptBatch handOver(PromptBatch prompts, NDManager owner) {
        for (NDArray array : new NDArray[] {prompts.points(), prompts.labels(), prompts.boxes()}) {
            if (array != null) {
                array.attach(owner);
            }
        }
        return prompts;
    }

    private static void requireAtLeastOne(int value, String name) {
        if (value < 1) {
            throw new MedsaException(name + " must be >= 1, got " + value);
        }
    }
}
