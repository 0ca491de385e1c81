package org.medsa.data.transforms;

import java.util.Random;

/**
 * Resizes every slice of a sample to {@code height x width}: bilinear for the image (with
 * antialiasing when shrinking, as PIL), nearest for the target so that binary targets stay binary.
 */
public final class ResizeSample implements SampleTransform {

    private final int height;
    private final int width;
    private final boolean antialias;

    public ResizeSample(int height, int width, boolean antialias) {
        if (height <= 0 || width <= 0) {
            throw new IllegalArgumentException("size must be positive: " + height + "x" + width);
        }
        this.height = height;
        this.width = width;
        this.antialias = antialias;
    }

    @Override
    public Sample apply(Sample s, Random rng) {
        return resize(s);
    }

    public Sample resize(Sample s) {
        if (s.height() == height && s.width() == width) {
            return s;
        }
        int h = s.height(), w = s.width();
        int plane = h * w, outPlane = height * width;
        float[] img = new float[s.imagePlanes() * outPlane];
        float[] buf = new float[plane];
        for (int p = 0; p < s.imagePlanes(); p++) {
            System.arraycopy(s.image(), p * plane, buf, 0, plane);
            System.arraycopy(Resize2D.bilinear(buf, h, w, height, width, antialias), 0, img, p * outPlane, outPlane);
        }
        float[] tgt = new float[s.depth() * outPlane];
        for (int z = 0; z < s.depth(); z++) {
            System.arraycopy(s.target(), z * plane, buf, 0, plane);
            System.arraycopy(Resize2D.nearest(buf, h, w, height, width), 0, tgt, z * outPlane, outPlane);
        }
        return new Sample(s.depth(), s.channels(), height, width, img, tgt);
    }
}
