package org.medsa.data.transforms;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Collectors;
import org.medsa.data.volume.VolumePair;

/** Volume transforms applied in order. */
public final class VolumePipeline implements VolumeTransform {

    private final List<VolumeTransform> steps;

    private VolumePipeline(List<VolumeTransform> steps) {
        this.steps = Collections.unmodifiableList(new ArrayList<>(steps));
    }

    /** The steps in order; nested pipelines are flattened. */
    public static VolumePipeline of(VolumeTransform... steps) {
        List<VolumeTransform> flat = new ArrayList<>();
        for (VolumeTransform t : steps) {
            if (t instanceof VolumePipeline) {
                flat.addAll(((VolumePipeline) t).steps);
            } else {
                flat.add(t);
            }
        }
        return new VolumePipeline(flat);
    }

    /**
     * The usual preprocessing: reorient to RAS, then map intensities to [0, 1] as {@code intensity}
     * says ({@link Intensity#ct}, {@link Intensity#mr} or a window; not {@code auto}).
     */
    public static VolumePipeline standard(Intensity intensity) {
        return of(new ReorientToRas(), intensity.transform());
    }

    /** {@link #standard} with a CT window of {@code [low, high]} HU. */
    public static VolumePipeline ct(double lowHu, double highHu) {
        return standard(Intensity.window(lowHu, highHu));
    }

    /** The steps in order (read-only). */
    public List<VolumeTransform> steps() {
        return steps;
    }

    @Override
    public VolumePair apply(VolumePair volumes) {
        VolumePair v = volumes;
        for (VolumeTransform t : steps) {
            v = t.apply(v);
        }
        return v;
    }

    @Override
    public String cacheKey() {
        return steps.stream().map(VolumeTransform::cacheKey).collect(Collectors.joining(" | "));
    }

    @Override
    public String toString() {
        return cacheKey();
    }
}
