package org.medsa.data.transforms;

import java.util.Locale;
import org.medsa.core.MedsaException;
import org.medsa.data.volume.ImageVolume;
import org.medsa.data.volume.VolumePair;

/**
 * How a volume's intensities become the [0, 1] gray values a slice image is made of: the one owner
 * of the CT window, the MR percentiles and the clipped (v − lo)/(hi − lo) mapping, used alike by
 * the datasets for training ({@link VolumePipeline#standard}), segmentation, prediction and the
 * server's display windows:
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

    /** BTCV's CT window in Hounsfield units. */
    public static final double CT_LOW = -175;
    /** Upper end of the CT window. */
    public static final double CT_HIGH = 250;
    /** The lower percentile of MR normalisation (MedSAM's), over the non-zero voxels. */
    public static final double MR_LOW_PERCENTILE = 0.5;
    /** The upper percentile of MR normalisation. */
    public static final double MR_HIGH_PERCENTILE = 99.5;
    /** Below this minimum value a volume is taken for CT by {@code auto} (air is about −1000 HU). */
    static final double AUTO_CT_BELOW = -500;

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
        return new Intensity("ct", Kind.CT, CT_LOW, CT_HIGH);
    }

    /** 0.5–99.5 percentile normalisation of the non-zero voxels. */
    public static Intensity mr() {
        return new Intensity("mr", Kind.MR, 0, 0);
    }

    /**
     * A window of {@code low..high} in the volume's units, mapped to [0, 1] and clipped.
     *
     * @throws MedsaException unless both are finite and {@code low < high}
     */
    public static Intensity window(double low, double high) {
        checkWindow(low, high);
        return new Intensity(low + "," + high, Kind.WINDOW, low, high);
    }

    /**
     * Checks a window [low, high].
     *
     * @throws MedsaException unless both are finite and {@code low < high}
     */
    public static void checkWindow(double low, double high) {
        if (!Double.isFinite(low) || !Double.isFinite(high) || !(high > low)) {
            throw new MedsaException("an intensity window needs finite lo < hi, got " + low + ".." + high);
        }
    }

    /**
     * A window written as "lo,hi" (e.g. {@code -160,240}).
     *
     * @param what names the text's source in messages (e.g. "--intensity", "window")
     * @return {lo, hi}
     * @throws MedsaException naming {@code what} and the problem
     */
    public static double[] parseWindow(String text, String what) {
        String[] parts = text == null ? new String[0] : text.split(",");
        if (parts.length != 2) {
            throw new MedsaException(what + " must be two numbers lo,hi (e.g. -160,240), got '" + text + "'");
        }
        double lo;
        double hi;
        try {
            lo = Double.parseDouble(parts[0].trim());
            hi = Double.parseDouble(parts[1].trim());
        } catch (NumberFormatException e) {
            throw new MedsaException(what + " '" + text + "' is not two numbers lo,hi");
        }
        if (!Double.isFinite(lo) || !Double.isFinite(hi) || !(hi > lo)) {
            throw new MedsaException(what + " needs finite lo < hi, got '" + text + "'");
        }
        return new double[] {lo, hi};
    }

    /**
     * Values mapped by (v − lo)/(hi − lo) and clipped to [0, 1]: the windowing of every CT window,
     * MR normalisation and display window.
     */
    public static float[] scaleClipped(float[] values, double lo, double hi) {
        float[] out = new float[values.length];
        double scale = 1.0 / (hi - lo);
        for (int i = 0; i < values.length; i++) {
            out[i] = (float) clip01((values[i] - lo) * scale);
        }
        return out;
    }

    /** As {@link #scaleClipped}, as 8-bit gray levels (× 255, rounded): what a viewer shows. */
    public static byte[] gray8(float[] values, double lo, double hi) {
        byte[] out = new byte[values.length];
        double scale = 1.0 / (hi - lo);
        for (int i = 0; i < values.length; i++) {
            out[i] = (byte) Math.round(255 * clip01((values[i] - lo) * scale));
        }
        return out;
    }

    private static double clip01(double v) {
        return v < 0 ? 0 : v > 1 ? 1 : v;
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
        if (s.split(",").length != 2) {
            throw new MedsaException("intensity must be auto, ct, mr or a window lo,hi (e.g. -160,240), got '" + spec + "'");
        }
        double[] w = parseWindow(s, "intensity window");
        return window(w[0], w[1]);
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
        return min < AUTO_CT_BELOW ? ct() : mr();
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
        double lo = PercentileNormalization.percentile(sorted, MR_LOW_PERCENTILE);
        double hi = PercentileNormalization.percentile(sorted, MR_HIGH_PERCENTILE);
        return hi > lo ? new double[] {lo, hi} : new double[] {0, 1};
    }

    /** The volume in [0, 1]; {@code auto} is resolved first. */
    public ImageVolume apply(ImageVolume volume) {
        return resolve(volume).transform().apply(new VolumePair(volume, null)).image();
    }

    /**
     * This mapping as a volume transform (for dataset pipelines).
     *
     * @throws MedsaException for {@code auto}, which is decided per volume: {@link #resolve} it first
     */
    public VolumeTransform transform() {
        if (kind == null) {
            throw new MedsaException("intensity 'auto' is decided per volume; resolve it before building a pipeline");
        }
        return switch (kind) {
            case CT, WINDOW -> new CtWindow(low, high);
            case MR -> new PercentileNormalization(MR_LOW_PERCENTILE, MR_HIGH_PERCENTILE, true);
        };
    }

    @Override
    public String toString() {
        return spec;
    }
}
