package org.medsa.data.transforms;

import org.medsa.data.volume.VolumePair;

/**
 * A deterministic step of volume preprocessing (reorientation, windowing, resampling, cropping).
 *
 * <p>Image and label always go through the same geometric change, and every step updates the
 * affine so that the result can be mapped back to the original grid (see
 * {@link VolumeResampler#toGrid}). Results are cached by datasets, keyed by {@link #cacheKey()};
 * random augmentations are {@link SampleTransform}s applied after caching.
 */
public interface VolumeTransform {

    /** Returns the transformed volumes (or {@code volumes} itself); the input is not modified. */
    VolumePair apply(VolumePair volumes);

    /** Names the step and every parameter that changes its output (part of cache keys). */
    String cacheKey();

    /** This step followed by {@code next}. */
    default VolumePipeline then(VolumeTransform next) {
        return VolumePipeline.of(this, next);
    }
}
