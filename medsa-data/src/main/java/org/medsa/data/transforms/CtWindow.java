package org.medsa.data.transforms;

import org.medsa.data.volume.ImageVolume;
import org.medsa.data.volume.VolumePair;

/**
 * CT intensity window: {@code (v - low) / (high - low)} clipped to [0, 1] (MONAI's
 * {@code ScaleIntensityRange} with clipping; {@link Intensity#ct} is BTCV's). Labels are unchanged.
 */
public final class CtWindow implements VolumeTransform {

    private final double low;
    private final double high;

    /**
     * A window from {@code lowHu} to {@code highHu}.
     *
     * @throws org.medsa.core.MedsaException unless both are finite and {@code low < high}
     */
    public CtWindow(double lowHu, double highHu) {
        Intensity.checkWindow(lowHu, highHu);
        this.low = lowHu;
        this.high = highHu;
    }

    /** Window from a level (centre) and width, e.g. level 40, width 400 = -160..240 HU (MedSAM). */
    public static CtWindow ofLevelWidth(double level, double width) {
        return new CtWindow(level - width / 2, level + width / 2);
    }

    @Override
    public VolumePair apply(VolumePair volumes) {
        float[] out = Intensity.scaleClipped(volumes.image().data(), low, high);
        return new VolumePair(new ImageVolume(volumes.grid(), out), volumes.label());
    }

    @Override
    public String cacheKey() {
        return "CtWindow(" + low + "," + high + ")";
    }
}
