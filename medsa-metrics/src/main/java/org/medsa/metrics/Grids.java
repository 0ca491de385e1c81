package org.medsa.metrics;

import java.util.Arrays;
import org.medsa.core.MedsaException;

/** Argument checks and index arithmetic shared by the metrics (row-major / C order throughout). */
final class Grids {

    private Grids() {}

    /** Number of voxels of {@code shape}; throws when the shape is invalid or does not match {@code length}. */
    static int checkShape(int[] shape, int length, String what) {
        if (shape == null || shape.length == 0) {
            throw new MedsaException("shape must have at least one dimension");
        }
        long count = 1;
        for (int size : shape) {
            if (size <= 0) {
                throw new MedsaException("shape " + Arrays.toString(shape) + " has a non-positive size");
            }
            count *= size;
            if (count > Integer.MAX_VALUE) {
                throw new MedsaException("shape " + Arrays.toString(shape) + " has more than 2^31-1 voxels");
            }
        }
        if (count != length) {
            throw new MedsaException(what + " has " + length + " voxels but shape "
                    + Arrays.toString(shape) + " has " + count);
        }
        return (int) count;
    }

    static void checkSpacing(double[] spacing, int rank) {
        if (spacing == null || spacing.length != rank) {
            throw new MedsaException("spacing " + Arrays.toString(spacing) + " must have one value per axis ("
                    + rank + ")");
        }
        for (double s : spacing) {
            if (!(s > 0) || Double.isInfinite(s)) {
                throw new MedsaException("spacing " + Arrays.toString(spacing) + " must be finite and positive");
            }
        }
    }

    /** Checks both masks and the spacing against the shape. */
    static void checkPair(boolean[] pred, boolean[] truth, int[] shape, double[] spacing) {
        if (pred == null || truth == null) {
            throw new MedsaException("masks must not be null");
        }
        checkShape(shape, pred.length, "prediction");
        checkShape(shape, truth.length, "truth");
        checkSpacing(spacing, shape.length);
    }

    /** C-order strides: the last axis is contiguous. */
    static int[] strides(int[] shape) {
        int[] strides = new int[shape.length];
        int stride = 1;
        for (int axis = shape.length - 1; axis >= 0; axis--) {
            strides[axis] = stride;
            stride *= shape[axis];
        }
        return strides;
    }

    static int count(boolean[] mask) {
        int n = 0;
        for (boolean b : mask) {
            if (b) {
                n++;
            }
        }
        return n;
    }
}
