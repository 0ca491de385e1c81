package org.medsa.data.transforms;

import org.medsa.data.volume.ImageVolume;
import org.medsa.data.volume.VolumePair;

/**
 * CT intensity window: {@code (v - low) / (high - low)} clipped to [0, 1] (MONAI's
 * {@code ScaleIntensityRange} with clipping; BTCV uses -175..250 HU). Labels are unchanged.
 */
public final class CtWindow implements VolumeTransform {

    private final double low;
    private final double high;

    /** A window from {@code lowHu} to {@code highHu} (high must exceed low). */
    public CtWindow(double lowHu, double highHu) {
        if (!(highHu > lowHu)) {
            throw new IllegalArgumentException("window needs high > low, got " + lowHu + ".." + highHu);
        }
        this.low = lowHu;
        this.high = highHu;
    }

    /** Window from a level (centre) and width, e.g. level 40, width 400 = -160..240 HU (MedSAM). */
    public static CtWindow ofLevelWidth(double level, double width) {
        return new CtWindow(level - width / 2, level + width / 2);
    }

    @Override
    public VolumePair apply(VolumePair volumes) {
        float[] src = volumes.image().data();
        float[] out = new float[src.length];
        double scale = 1.0 / (high - low);
        for (int i = 0; i < src.length; i++) {
            double v = (src[i] - low) * scale;
            out[i] = (float) (v < 0 ? 0 : v > 1 ? 1 : v);
        }
        return new VolumePair(new ImageVolume(volumes.grid(), out), volumes.label());
    }

    @Override
    public String cacheKey() {
        return "CtWindow(" + low + "," + high + ")";
    }
}
