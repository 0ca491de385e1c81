package org.medsa.data.transforms;

import java.util.Arrays;
import org.medsa.core.MedsaException;
import org.medsa.data.volume.ImageVolume;
import org.medsa.data.volume.VolumePair;

/**
 * MR intensity normalisation: values between the {@code lowPercentile} and {@code highPercentile}
 * of the volume map linearly to [0, 1], and values outside are clipped (MedSAM uses 0.5 and 99.5
 * of the non-zero voxels). Percentiles interpolate linearly between order statistics (numpy's
 * default). A volume with no spread (or no non-zero voxels) becomes all zeros.
 */
public final class PercentileNormalization implements VolumeTransform {

    private final double lowPercentile;
    private final double highPercentile;
    private final boolean nonZeroOnly;

    /**
     * @param nonZeroOnly compute the percentiles over non-zero voxels only (the background of a
     *     skull-stripped or masked MRI is exactly 0 and would otherwise dominate)
     */
    public PercentileNormalization(double lowPercentile, double highPercentile, boolean nonZeroOnly) {
        if (!(lowPercentile >= 0 && highPercentile <= 100 && lowPercentile < highPercentile)) {
            throw new MedsaException("percentiles must satisfy 0 <= low < high <= 100, got " + lowPercentile + ", "
                    + highPercentile);
        }
        this.lowPercentile = lowPercentile;
        this.highPercentile = highPercentile;
        this.nonZeroOnly = nonZeroOnly;
    }

    @Override
    public VolumePair apply(VolumePair volumes) {
        float[] src = volumes.image().data();
        float[] sorted = sortedValues(src, nonZeroOnly);
        float[] out = new float[src.length];
        if (sorted.length > 0) {
            double lo = percentile(sorted, lowPercentile);
            double hi = percentile(sorted, highPercentile);
            if (hi > lo) {
                out = Intensity.scaleClipped(src, lo, hi);
            }
        }
        return new VolumePair(new ImageVolume(volumes.grid(), out), volumes.label());
    }

    /** The p-th percentile (0..100) of ascending {@code sorted}, linear between neighbours. */
    public static double percentile(float[] sorted, double p) {
        if (sorted.length == 0) {
            throw new MedsaException("percentile of no values");
        }
        double pos = p / 100.0 * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, sorted.length - 1);
        double f = pos - lo;
        return sorted[lo] + f * (sorted[hi] - sorted[lo]);
    }

    /** The values (only the non-zero ones when {@code nonZeroOnly}), ascending. */
    public static float[] sortedValues(float[] src, boolean nonZeroOnly) {
        float[] values;
        if (nonZeroOnly) {
            int n = 0;
            for (float v : src) {
                if (v != 0 && !Float.isNaN(v)) {
                    n++;
                }
            }
            values = new float[n];
            int k = 0;
            for (float v : src) {
                if (v != 0 && !Float.isNaN(v)) {
                    values[k++] = v;
                }
            }
        } else {
            values = src.clone();
        }
        Arrays.sort(values);
        return values;
    }

    @Override
    public String cacheKey() {
        return "PercentileNormalization(" + lowPercentile + "," + highPercentile + "," + nonZeroOnly + ")";
    }
}
