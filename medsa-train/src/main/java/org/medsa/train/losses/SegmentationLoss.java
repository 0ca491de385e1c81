package org.medsa.train.losses;

import ai.djl.ndarray.NDArray;

/**
 * A mask loss on logits. {@link #perMask} returns one value per (sample, mask) so multimask
 * training can back-propagate only the best of the masks (SAM's min-over-masks rule).
 */
public interface SegmentationLoss {

    /**
     * @param logits (B, C, h, w) mask logits
     * @param target (B, 1, h, w) targets in [0, 1] (soft multi-rater targets allowed)
     * @param iouPred (B, C) the IoU head's predictions, or null
     * @return (B, C) losses
     */
    NDArray perMask(NDArray logits, NDArray target, NDArray iouPred);

    /** Mean over samples of the minimum over masks (plain mean when C = 1). */
    default NDArray loss(NDArray logits, NDArray target, NDArray iouPred) {
        NDArray per = perMask(logits, target, iouPred);
        return per.getShape().get(1) == 1 ? per.mean() : per.min(new int[] {1}).mean();
    }

    /** A short name for logs. */
    String name();
}
