package org.medsa.train.prompts;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Random;

/** Host-side mask building and reading for the prompt sampler tests. */
final class TestMasks {

    private TestMasks() {}

    static void seed(long seed) {
        Engine.getInstance().setRandomSeed((int) seed);
    }

    /** Host masks [b][y][x] to a float32 (B, H, W) array of 0/1. */
    static NDArray toArray(NDManager manager, boolean[][][] masks) {
        int batch = masks.length;
        int height = masks[0].length;
        int width = masks[0][0].length;
        float[] data = new float[batch * height * width];
        for (int b = 0; b < batch; b++) {
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    data[(b * height + y) * width + x] = masks[b][y][x] ? 1f : 0f;
                }
            }
        }
        return manager.create(data, new Shape(batch, height, width));
    }

    /** A mask with the inclusive rectangle (x0, y0, x1, y1) set. */
    static boolean[][] rectangle(int height, int width, int x0, int y0, int x1, int y1) {
        boolean[][] mask = new boolean[height][width];
        fill(mask, x0, y0, x1, y1);
        return mask;
    }

    static void fill(boolean[][] mask, int x0, int y0, int x1, int y1) {
        for (int y = y0; y <= y1; y++) {
            for (int x = x0; x <= x1; x++) {
                mask[y][x] = true;
            }
        }
    }

    /** The same mask {@code copies} times. */
    static boolean[][][] repeat(boolean[][] mask, int copies) {
        boolean[][][] masks = new boolean[copies][][];
        for (int i = 0; i < copies; i++) {
            masks[i] = mask;
        }
        return masks;
    }

    /** Random blobs: the union of 1..3 random rectangles, some masks touching the image edge. */
    static boolean[][][] randomBlobs(Random random, int batch, int height, int width) {
        boolean[][][] masks = new boolean[batch][height][width];
        for (int b = 0; b < batch; b++) {
            int parts = 1 + random.nextInt(3);
            for (int p = 0; p < parts; p++) {
                int w = 1 + random.nextInt(width / 2);
                int h = 1 + random.nextInt(height / 2);
                int x0 = random.nextInt(width - w + 1);
                int y0 = random.nextInt(height - h + 1);
                fill(masks[b], x0, y0, x0 + w - 1, y0 + h - 1);
            }
        }
        return masks;
    }

    /** Tight inclusive box {x0, y0, x1, y1} of a host mask, or null if empty. */
    static int[] tightBox(boolean[][] mask) {
        int x0 = Integer.MAX_VALUE;
        int y0 = Integer.MAX_VALUE;
        int x1 = -1;
        int y1 = -1;
        for (int y = 0; y < mask.length; y++) {
            for (int x = 0; x < mask[0].length; x++) {
                if (mask[y][x]) {
                    x0 = Math.min(x0, x);
                    y0 = Math.min(y0, y);
                    x1 = Math.max(x1, x);
                    y1 = Math.max(y1, y);
                }
            }
        }
        return x1 < 0 ? null : new int[] {x0, y0, x1, y1};
    }

    static int count(boolean[][] mask) {
        int n = 0;
        for (boolean[] row : mask) {
            for (boolean v : row) {
                n += v ? 1 : 0;
            }
        }
        return n;
    }

    /** Host IoU of two inclusive boxes. */
    static double iou(float[] a, int aOffset, int[] b) {
        double interWidth = Math.min(a[aOffset + 2], b[2]) - Math.max(a[aOffset], b[0]) + 1;
        double interHeight = Math.min(a[aOffset + 3], b[3]) - Math.max(a[aOffset + 1], b[1]) + 1;
        double inter = Math.max(0, interWidth) * Math.max(0, interHeight);
        double areaA = (a[aOffset + 2] - a[aOffset] + 1) * (a[aOffset + 3] - a[aOffset + 1] + 1);
        double areaB = (double) (b[2] - b[0] + 1) * (b[3] - b[1] + 1);
        return inter / (areaA + areaB - inter);
    }

    /** Host |a ∩ b| / |b| of two inclusive boxes. */
    static double coverage(float[] a, int aOffset, int[] b) {
        double interWidth = Math.min(a[aOffset + 2], b[2]) - Math.max(a[aOffset], b[0]) + 1;
        double interHeight = Math.min(a[aOffset + 3], b[3]) - Math.max(a[aOffset + 1], b[1]) + 1;
        double inter = Math.max(0, interWidth) * Math.max(0, interHeight);
        return inter / ((double) (b[2] - b[0] + 1) * (b[3] - b[1] + 1));
    }

    /** Pearson's chi-square statistic of observed counts against expected proportions. */
    static double chiSquare(long[] observed, double[] proportions) {
        long total = 0;
        for (long o : observed) {
            total += o;
        }
        double sum = 0;
        for (int i = 0; i < observed.length; i++) {
            double expected = total * proportions[i];
            sum += (observed[i] - expected) * (observed[i] - expected) / expected;
        }
        return sum;
    }

    /** Upper 0.1 % point of the chi-square distribution (Wilson–Hilferty approximation). */
    static double chiSquareCritical(int degreesOfFreedom) {
        double z = 3.090232; // standard normal 99.9 % quantile
        double k = degreesOfFreedom;
        double c = 1 - 2 / (9 * k) + z * Math.sqrt(2 / (9 * k));
        return k * c * c * c;
    }
}
