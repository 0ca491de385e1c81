package org.medsa.train.training;

/**
 * Dynamic loss scaling for a float16 encoder: the loss is multiplied by the scale before the
 * backward pass so small gradients inside the float16 blocks do not flush to zero, and the
 * gradients are divided by it again. A step whose gradients overflow is skipped and the scale
 * halved; after {@link #GROWTH_STEPS} good steps it is doubled again. Without half precision the
 * scale is 1 and nothing is skipped.
 */
final class LossScaler {

    /** Good steps after which the scale is doubled again. */
    static final int GROWTH_STEPS = 1000;

    private final boolean enabled;
    private double scale;
    private int goodSteps;

    LossScaler(boolean halfPrecision, double initialScale) {
        this.enabled = halfPrecision;
        this.scale = halfPrecision ? initialScale : 1;
    }

    /** What the loss is multiplied by before the backward pass. */
    double scale() {
        return scale;
    }

    /**
     * Judges a step's gradient norm (measured on the scaled gradients, then unscaled here).
     *
     * @return true to skip the step: a float16 overflow, after which the scale is halved
     */
    boolean overflowed(double unscaledNorm) {
        if (enabled && !Double.isFinite(unscaledNorm) && scale > 1) {
            scale /= 2;
            goodSteps = 0;
            return true;
        }
        return false;
    }

    /** Counts a step that was applied; the scale grows after enough of them. */
    void applied() {
        if (enabled && ++goodSteps >= GROWTH_STEPS) {
            scale *= 2;
            goodSteps = 0;
        }
    }
}
