package org.medsa.data.transforms;

import java.util.Random;

/**
 * A (possibly random) step applied to each {@link Sample} as it is served. It must draw all its
 * randomness from {@code rng}, which datasets derive from their seed and the sample index, so a
 * given seed, epoch and index always produce the same sample. Image and target get the same
 * geometric change.
 */
public interface SampleTransform {

    /** Returns the transformed sample (or {@code sample} itself), drawing any randomness from {@code rng}. */
    Sample apply(Sample sample, Random rng);

    /** This step followed by {@code next}. */
    default SamplePipeline then(SampleTransform next) {
        return SamplePipeline.of(this, next);
    }
}
