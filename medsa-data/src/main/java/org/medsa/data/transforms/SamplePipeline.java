package org.medsa.data.transforms;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/** Sample transforms applied in order, all drawing from the same random source. */
public final class SamplePipeline implements SampleTransform {

    private final List<SampleTransform> steps;

    private SamplePipeline(List<SampleTransform> steps) {
        this.steps = Collections.unmodifiableList(new ArrayList<>(steps));
    }

    /** The steps in order; nested pipelines are flattened. */
    public static SamplePipeline of(SampleTransform... steps) {
        List<SampleTransform> flat = new ArrayList<>();
        for (SampleTransform t : steps) {
            if (t instanceof SamplePipeline) {
                flat.addAll(((SamplePipeline) t).steps);
            } else {
                flat.add(t);
            }
        }
        return new SamplePipeline(flat);
    }

    /**
     * The augmentations MSA uses for BTCV: flips on each axis (p 0.1 each; depth flips only
     * matter for chunks), 90-degree rotations (p 0.1) and intensity shifts of up to 0.1 of the
     * full scale (p 0.5).
     */
    public static SamplePipeline btcvAugmentation() {
        return of(
                new RandomFlip(RandomFlip.Axis.ROWS, 0.1),
                new RandomFlip(RandomFlip.Axis.COLS, 0.1),
                new RandomFlip(RandomFlip.Axis.DEPTH, 0.1),
                new RandomRotate90(0.1),
                new RandomIntensityShift(0.1, 0.5));
    }

    /** The steps in order (read-only). */
    public List<SampleTransform> steps() {
        return steps;
    }

    @Override
    public Sample apply(Sample sample, Random rng) {
        Sample s = sample;
        for (SampleTransform t : steps) {
            s = t.apply(s, rng);
        }
        return s;
    }
}
