package org.medsa.metrics;

import java.util.Arrays;
import java.util.Random;

/** Builders of test masks (C order). */
final class Masks {

    private Masks() {}

    /** A 2D mask of the given shape with the listed (row, col) pixels set. */
    static boolean[] pixels(int height, int width, int[]... rowCols) {
        boolean[] m = new boolean[height * width];
        for (int[] rc : rowCols) {
            m[rc[0] * width + rc[1]] = true;
        }
        return m;
    }

    /** A 2D mask with the rectangle rows [r0, r1) x cols [c0, c1) set. */
    static boolean[] rectangle(int height, int width, int r0, int c0, int r1, int c1) {
        boolean[] m = new boolean[height * width];
        for (int r = r0; r < r1; r++) {
            for (int c = c0; c < c1; c++) {
                m[r * width + c] = true;
            }
        }
        return m;
    }

    /** A 3D mask (D, H, W) with the box [z0, z1) x [y0, y1) x [x0, x1) set. */
    static boolean[] cuboid(int[] shape, int z0, int y0, int x0, int z1, int y1, int x1) {
        boolean[] m = new boolean[shape[0] * shape[1] * shape[2]];
        for (int z = z0; z < z1; z++) {
            for (int y = y0; y < y1; y++) {
                for (int x = x0; x < x1; x++) {
                    m[(z * shape[1] + y) * shape[2] + x] = true;
                }
            }
        }
        return m;
    }

    static int count(boolean[] m) {
        int n = 0;
        for (boolean b : m) {
            n += b ? 1 : 0;
        }
        return n;
    }

    /**
     * A random mask of one of several kinds: empty, salt noise, a union of boxes and balls (often
     * touching the border), or full.
     */
    static boolean[] random(int[] shape, Random rng) {
        int n = 1;
        for (int s : shape) {
            n *= s;
        }
        boolean[] m = new boolean[n];
        int kind = rng.nextInt(10);
        if (kind == 0) {
            return m; // empty
        }
        if (kind == 1) {
            Arrays.fill(m, true);
            return m;
        }
        if (kind <= 4) {
            double density = 0.05 + 0.6 * rng.nextDouble();
            for (int i = 0; i < n; i++) {
                m[i] = rng.nextDouble() < density;
            }
            return m;
        }
        int blobs = 1 + rng.nextInt(3);
        for (int b = 0; b < blobs; b++) {
            double[] centre = new double[shape.length];
            double[] radius = new double[shape.length];
            for (int axis = 0; axis < shape.length; axis++) {
                centre[axis] = rng.nextDouble() * shape[axis];
                radius[axis] = 0.5 + rng.nextDouble() * shape[axis] / 2.0;
            }
            boolean ball = rng.nextBoolean();
            for (int i = 0; i < n; i++) {
                int[] c = ReferenceMetrics.coordinates(i, shape);
                double r = 0;
                boolean inBox = true;
                for (int axis = 0; axis < shape.length; axis++) {
                    double t = (c[axis] - centre[axis]) / radius[axis];
                    r += t * t;
                    inBox &= Math.abs(t) <= 1;
                }
                if (ball ? r <= 1 : inBox) {
                    m[i] = true;
                }
            }
        }
        return m;
    }
}
