package org.medsa.data.phantom;

import org.medsa.data.nifti.NiftiDatatype;

/**
 * How the phantom's anatomy is turned into intensities. The anatomy (and so the label maps) of a
 * case depends only on the seed, size and case index; the rendering changes only the image, so a
 * model trained on one rendering can be adapted to the other on the same kind of anatomy.
 *
 * <ul>
 *   <li>{@link #CT}: Hounsfield units, stored as int16: air -1000, body 10, liver 60, spleen 110,
 *       kidney 180, spine 600; Gaussian noise sigma 12 HU. Ordering: spine &gt;
 *       kidney &gt; spleen &gt; liver &gt; body.
 *   <li>{@link #MR}: T2-like arbitrary units, stored as float32: air 0, body 300, liver 180, spleen
 *       650, kidney 900, spine 100; a smooth multiplicative bias field (up to about +-25 %) and
 *       Rician noise (sigma 25). Ordering: kidney &gt; spleen &gt; body &gt; liver &gt; spine.
 * </ul>
 */
public enum Rendering {
    /** Hounsfield units stored as int16, Gaussian noise, no bias field. */
    CT("CT", NiftiDatatype.INT16, new double[] {-1000, 10, 60, 110, 180, 600}, 12.0, 0.0),
    /** T2-like units stored as float32, with a bias field and Rician noise. */
    MR("MRI", NiftiDatatype.FLOAT32, new double[] {0, 300, 180, 650, 900, 100}, 25.0, 0.25);

    private final String modality;
    private final NiftiDatatype datatype;
    private final double[] intensity;
    private final double noiseSigma;
    private final double biasStrength;

    Rendering(String modality, NiftiDatatype datatype, double[] intensity, double noiseSigma, double biasStrength) {
        this.modality = modality;
        this.datatype = datatype;
        this.intensity = intensity;
        this.noiseSigma = noiseSigma;
        this.biasStrength = biasStrength;
    }

    /** The modality written to dataset.json ("CT" or "MRI"). */
    public String modality() {
        return modality;
    }

    /** How image voxels are stored. */
    public NiftiDatatype datatype() {
        return datatype;
    }

    /** Nominal intensity of a tissue (before bias field and noise). */
    public double intensity(Tissue t) {
        return intensity[t.ordinal()];
    }

    /** Standard deviation of the noise (Gaussian for CT, Rician for MR), in image units. */
    public double noiseSigma() {
        return noiseSigma;
    }

    /** Amplitude of the multiplicative bias field (0 = none). */
    public double biasStrength() {
        return biasStrength;
    }
}
