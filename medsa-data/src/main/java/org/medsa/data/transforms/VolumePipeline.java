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
     * The usual CT preprocessing: reorient to RAS, then window {@code [low, high]} HU to [0, 1]
     * (BTCV: -175..250).
     */
    public static VolumePipeline ct(double lowHu, double highHu) {
        return of(new ReorientToRas(), new CtWindow(lowHu, highHu));
    }

    /** The usual MR preprocessing: reorient to RAS, then 0.5..99.5 percentile normalisation of non-zero voxels. */
    public static VolumePipeline mr() {
        return of(new ReorientToRas(), new PercentileNormalization(0.5, 99.5, true));
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
