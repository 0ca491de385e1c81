package org.medsa.train.prompts;

/**
 * What "a box overlapping the target by t" means for {@link BoxSampler#boxesAtOverlap}. The
 * Med-SA paper's "BBox 0.5 / 0.75" does not say; {@link #IOU} is the project default
 * (docs/prompts.md).
 */
public enum BoxOverlap {
    /**
     * IoU(prompt box, tight GT box) = t. The prompt box is an enlargement that contains the GT
     * box, so IoU = |GT box| / |prompt box|.
     */
    IOU,
    /**
     * |prompt box ∩ GT box| / |GT box| = t: a box of the GT box's size shifted so that it covers
     * only the fraction t of the GT box (a box containing the GT would always cover all of it).
     */
    GT_COVERAGE
}
