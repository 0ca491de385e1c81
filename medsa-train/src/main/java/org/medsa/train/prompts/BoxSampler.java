package org.medsa.train.prompts;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Objects;
import org.medsa.core.MedsaException;

/**
 * Batched boxes from ground-truth masks (docs/prompts.md): tight boxes, SAM's jittered boxes,
 * and boxes at a chosen overlap with the tight box (the paper's "BBox t"); computed with NDArray
 * operations on the masks' device. Clicks are {@link ClickSampler}'s.
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
public final class BoxSampler {

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

    private BoxSampler() {}


    /**
     * Tight boxes (B, 4) of the masks, inclusive pixel coordinates; an empty mask gets the full
     * image box (0, 0, W − 1, H − 1) (check {@link #nonEmpty} to tell the cases apart).
     */
    public static NDArray tightBoxes(NDArray masks) {
        try (NDManager scope = MaskOps.scopeFor(masks)) {
            NDArray boxes = MaskOps.tightBoxes(MaskOps.foreground(masks, scope), scope);
            boxes.attach(masks.getManager());
            return boxes;
        }
    }

    /** (B) boolean: true where the mask has at least one foreground pixel. */
    public static NDArray nonEmpty(NDArray masks) {
        try (NDManager scope = MaskOps.scopeFor(masks)) {
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
        try (NDManager scope = MaskOps.scopeFor(masks)) {
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
        MaskOps.requireAtLeastOne(candidates, "candidates");
        try (NDManager scope = MaskOps.scopeFor(masks)) {
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
            Arrays.fill(tierBonus, 1, 1 + candidates, 2f);
            Arrays.fill(tierBonus, 1 + candidates, 1 + 2 * candidates, 1f);
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
}
