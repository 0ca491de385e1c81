package org.medsa.train.prompts;

import ai.djl.ndarray.NDArray;
import org.medsa.core.MedsaException;

/**
 * Prompts for a batch of B images in the model-input frame, ready for SAM's prompt encoder.
 *
 * @param points clicks (B, N, 2) float32 as (x, y) = (column, row) pixel indices (SAM adds the
 *     0.5 pixel-centre offset itself), or null for no clicks
 * @param labels click labels (B, N) float32: 1 foreground, 0 background; null iff points is null
 * @param boxes boxes (B, 4) float32 (x0, y0, x1, y1) in inclusive pixel coordinates, or null
 */
public record PromptBatch(NDArray points, NDArray labels, NDArray boxes) {

    /** Checks the shapes: points (B, N, 2) with labels (B, N), boxes (B, 4). */
    public PromptBatch {
        if ((points == null) != (labels == null)) {
            throw new MedsaException("points and labels must both be present or absent");
        }
        if (points != null) {
            if (points.getShape().dimension() != 3 || points.getShape().get(2) != 2) {
                throw new MedsaException("points must be (B, N, 2), got " + points.getShape());
            }
            if (!labels.getShape().equals(points.getShape().slice(0, 2))) {
                throw new MedsaException(
                        "labels " + labels.getShape() + " do not match points " + points.getShape());
            }
        }
        if (boxes != null && (boxes.getShape().dimension() != 2 || boxes.getShape().get(1) != 4)) {
            throw new MedsaException("boxes must be (B, 4), got " + boxes.getShape());
        }
    }

    /** Clicks only. */
    public static PromptBatch ofClicks(NDArray points, NDArray labels) {
        return new PromptBatch(points, labels, null);
    }

    /** A box only. */
    public static PromptBatch ofBoxes(NDArray boxes) {
        return new PromptBatch(null, null, boxes);
    }

    /** Clicks per image (N), 0 without clicks. */
    public long clickCount() {
        return points == null ? 0 : points.getShape().get(1);
    }

    /** True when the batch has clicks. */
    public boolean hasClicks() {
        return points != null;
    }

    /** True when the batch has boxes. */
    public boolean hasBoxes() {
        return boxes != null;
    }

    /**
     * These prompts followed by the clicks of {@code clicks} along N (the iterative-click
     * schedule). The box of this batch is kept (or taken from {@code clicks} when this has none).
     * New arrays belong to the manager of this batch's points (of {@code clicks}' if this has none).
     */
    public PromptBatch append(PromptBatch clicks) {
        NDArray box = boxes != null ? boxes : clicks.boxes;
        if (!clicks.hasClicks()) {
            return new PromptBatch(points, labels, box);
        }
        if (!hasClicks()) {
            return new PromptBatch(clicks.points, clicks.labels, box);
        }
        return new PromptBatch(points.concat(clicks.points, 1), labels.concat(clicks.labels, 1), box);
    }

    /** The same clicks with {@code newBoxes} (B, 4) as the box prompt (null removes it). */
    public PromptBatch withBox(NDArray newBoxes) {
        return new PromptBatch(points, labels, newBoxes);
    }
}
