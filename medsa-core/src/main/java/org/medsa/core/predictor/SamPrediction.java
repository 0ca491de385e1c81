package org.medsa.core.predictor;

/**
 * Masks for one prompt: logits at the original image size (C, H, W), low-res logits (C, h, w)
 * to feed back as the next round's mask prompt, and the predicted IoU of each mask.
 */
public record SamPrediction(int numMasks, int height, int width, float[] masksLogits, int lowResHeight,
        int lowResWidth, float[] lowResLogits, float[] iouPredictions, float maskThreshold) {

    /** Index of the mask with the highest predicted IoU. */
    public int best() {
        int b = 0;
        for (int i = 1; i < iouPredictions.length; i++) {
            if (iouPredictions[i] > iouPredictions[b]) {
                b = i;
            }
        }
        return b;
    }

    /** Mask {@code c} at the original size: logits above the threshold. */
    public boolean[] mask(int c) {
        int n = height * width;
        boolean[] m = new boolean[n];
        for (int i = 0; i < n; i++) {
            m[i] = masksLogits[c * n + i] > maskThreshold;
        }
        return m;
    }

    /** Low-res logits of mask {@code c}, (h, w) row-major. */
    public float[] lowRes(int c) {
        int n = lowResHeight * lowResWidth;
        float[] out = new float[n];
        System.arraycopy(lowResLogits, c * n, out, 0, n);
        return out;
    }
}
