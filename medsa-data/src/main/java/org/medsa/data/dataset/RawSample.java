package org.medsa.data.dataset;

/**
 * A sample without NDArrays, at the preprocessed volume's resolution, before output resizing and
 * augmentation: the image as the pipeline left it ([0, 1] with the default pipelines) and the
 * integer labels (all organs, not binarised). Arrays are (depth, height, width) row-major.
 */
public final class RawSample {

    private final SampleInfo info;
    private final float[] image;
    private final int[] labels;

    RawSample(SampleInfo info, float[] image, int[] labels) {
        this.info = info;
        this.image = image;
        this.labels = labels;
    }

    /** Which case, slice(s) and organ the sample shows. */
    public SampleInfo info() {
        return info;
    }

    /** Number of slices (1 for slice datasets). */
    public int depth() {
        return info.depth();
    }

    /** Slice height (rows). */
    public int height() {
        return info.height();
    }

    /** Slice width (cols). */
    public int width() {
        return info.width();
    }

    /** (depth, height, width) row-major. */
    public float[] image() {
        return image;
    }

    /** (depth, height, width) row-major label values. */
    public int[] labels() {
        return labels;
    }

    /** The binary target of this sample's organ, as 0/1 ints. */
    public int[] organMask() {
        int[] m = new int[labels.length];
        for (int i = 0; i < m.length; i++) {
            m[i] = labels[i] == info.organLabel() ? 1 : 0;
        }
        return m;
    }
}
