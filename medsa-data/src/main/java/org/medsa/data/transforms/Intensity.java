package org.medsa.data.transforms;

import org.medsa.core.MedsaException;
import org.medsa.data.volume.ImageVolume;
import org.medsa.data.volume.VolumePair;

import java.util.Locale;

/**
 * How a volume's intensities become the [0, 1] gray values a slice image is made of — the same
 * transforms the datasets use for training ({@code VolumePipeline.ct} / {@code .mr}):
 *
 * <ul>
 *   <li>{@code ct}: the window −175..250 HU (BTCV's);
 *   <li>{@code mr}: 0.5–99.5 percentiles of the non-zero voxels;
 *   <li>{@code lo,hi}: a window of your own (e.g. {@code -160,240});
 *   <li>{@code auto}: {@code ct} if the volume has values below −500 (air in Hounsfield units), else
 *       {@code mr}.
 * </ul>
 */
public final class Intensity {

    /** The resolved kinds. */
    public enum Kind {
        /** The CT window −175..250 HU. */
        CT,
        /** 0.5–99.5 percentiles of the non-zero voxels. */
        MR,
        /** A window given by the caller. */
        WINDOW
    }

    private final String spec;
    private final Kind kind;
    private final double low;
    private final double high;

    private Intensity(String spec, Kind kind, double low, double high) {
        this.spec = spec;
        this.kind = kind;
        this.low = low;
        this.high = high;
    }

    /** {@code auto}: decided per volume by {@link #resolve}. */
    public static Intensity auto() {
        return new Intensity("auto", null, 0, 0);
    }

    /** BTCV's CT window, −175..250 HU. */
    public static Intensity ct() {
        return new Intensity("ct", Kind.CT, -175, 250);
    }

    /** 0.5–99.5 percentile normalisation of the non-zero voxels. */
    public static Intensity mr() {
        return new Intensity("mr", Kind.MR, 0, 0);
    }

    /** A window of {@code low..high} in the volume's units, mapped to [0, 1] and clipped. */
    public static Intensity window(double low, double high) {
        if (!Double.isFinite(low) || !Double.isFinite(high) || !(high > low)) {
            throw new MedsaException("an intensity window needs finite lo < hi, got " + low + ".." + high);
        }
        return new Intensity(low + "," + high, Kind.WINDOW, low, high);
    }

    /**
     * {@code auto}, {@code ct}, {@code mr} or {@code lo,hi}.
     *
     * @throws MedsaException naming what is wrong
     */
    public static Intensity parse(String spec) {
        String s = spec == null ? "" : spec.trim().toLowerCase(Locale.ROOT);
        switch (s) {
            case "auto": return auto();
            case "ct": return ct();
            case "mr": return mr();
            default: break;
        }
        String[] parts = s.split(",");
        if (parts.length != 2) {
            throw new MedsaException("intensity must be auto, ct, mr or a window lo,hi (e.g. -160,240), got '" + spec + "'");
        }
        try {
            return window(Double.parseDouble(parts[0].trim()), Double.parseDouble(parts[1].trim()));
        } catch (NumberFormatException e) {
            throw new MedsaException("intensity window '" + spec + "' is not two numbers lo,hi");
        }
    }

    /** Null for {@code auto} before it is resolved. */
    public Kind kind() {
        return kind;
    }

    /** This choice for a volume: {@code auto} becomes {@code ct} or {@code mr}. */
    public Intensity resolve(ImageVolume volume) {
        if (kind != null) {
            return this;
        }
        float min = Float.POSITIVE_INFINITY;
        for (float v : volume.data()) {
            min = Math.min(min, v);
        }
        return min < -500 ? ct() : mr();
    }

    /**
     * The window [lo, hi] this choice maps to [0, 1] on {@code volume}: the fixed window for
     * {@code ct} and {@code lo,hi}, the 0.5 and 99.5 percentiles of the non-zero voxels for {@code
     * mr} (what a viewer shows as the default window/level). For {@code mr} on a volume without
     * two distinct non-zero values (which {@link #apply} maps to zeros) it is [0, 1].
     */
    public double[] window(ImageVolume volume) {
        Intensity r = resolve(volume);
        if (r.kind != Kind.MR) {
            return new double[] {r.low, r.high};
        }
        float[] sorted = PercentileNormalization.sortedValues(volume.data(), true);
        if (sorted.length == 0) {
            return new double[] {0, 1};
        }
        double lo = PercentileNormalization.percentile(sorted, 0.5);
        double hi = PercentileNormalization.percentile(sorted, 99.5);
        return hi > lo ? new double[] {lo, hi} : new double[] {0, 1};
    }

    /** The volume in [0, 1]; {@code auto} is resolved first. */
    public ImageVolume apply(ImageVolume volume) {
        Intensity r = resolve(volume);
        VolumeTransform t = switch (r.kind) {
            case CT, WINDOW -> new CtWindow(r.low, r.high);
            case MR -> new PercentileNormalization(0.5, 99.5, true);
        };
        return t.apply(new VolumePair(volume, null)).image();
    }

    @Override
    public String toString() {
        return spec;
    }
}
