package org.medsa.core.predictor;

/**
 * SAM's {@code ResizeLongestSide}: the size an image is resized to (longest side = target, the
 * other rounded half up) and the matching transform of prompt coordinates.
 */
public final class ResizeLongestSide {

    private final int target;

    public ResizeLongestSide(int target) {
        this.target = target;
    }

    public int target() {
        return target;
    }

    /** (newH, newW) for an (h, w) image. */
    public int[] preprocessShape(int h, int w) {
        double scale = target * 1.0 / Math.max(h, w);
        double newH = h * scale;
        double newW = w * scale;
        return new int[] {(int) (newH + 0.5), (int) (newW + 0.5)};
    }

    /**
     * Maps (x, y) pairs from an (h, w) image to the resized frame. As SAM does, the arithmetic is
     * in double and the result is rounded to float once.
     */
    public float[] applyCoords(double[] xy, int h, int w) {
        int[] s = preprocessShape(h, w);
        double sx = (double) s[1] / w;
        double sy = (double) s[0] / h;
        float[] out = new float[xy.length];
        for (int i = 0; i < xy.length; i += 2) {
            out[i] = (float) (xy[i] * sx);
            out[i + 1] = (float) (xy[i + 1] * sy);
        }
        return out;
    }
}
