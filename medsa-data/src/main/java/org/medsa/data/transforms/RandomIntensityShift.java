package org.medsa.data.transforms;

import java.util.Random;
import org.medsa.core.MedsaException;

/**
 * With probability {@code p}, adds one offset drawn uniformly from
 * {@code [-maxFraction, maxFraction] x 255} to every image value (MONAI's
 * {@code RandShiftIntensity(offsets=0.1)} on a [0, 1] image, here on the 0..255 scale). Values are
 * not clipped, as in MONAI. Targets are unchanged.
 */
public final class RandomIntensityShift implements SampleTransform {

    private final double maxFraction;
    private final double probability;

    /** Shifts by up to {@code maxFraction} of 255 (at least 0) with {@code probability} in [0, 1]. */
    public RandomIntensityShift(double maxFraction, double probability) {
        if (!(maxFraction >= 0)) {
            throw new MedsaException("maxFraction must be >= 0, got " + maxFraction);
        }
        if (!(probability >= 0 && probability <= 1)) {
            throw new MedsaException("probability must be in [0, 1], got " + probability);
        }
        this.maxFraction = maxFraction;
        this.probability = probability;
    }

    @Override
    public Sample apply(Sample s, Random rng) {
        if (!(rng.nextDouble() < probability)) {
            return s;
        }
        float offset = (float) ((rng.nextDouble() * 2 - 1) * maxFraction * 255.0);
        float[] src = s.image();
        float[] out = new float[src.length];
        for (int i = 0; i < src.length; i++) {
            out[i] = src[i] + offset;
        }
        return new Sample(s.depth(), s.channels(), s.height(), s.width(), out, s.target());
    }
}
