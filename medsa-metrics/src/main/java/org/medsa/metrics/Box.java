package org.medsa.metrics;

import java.util.Arrays;
import java.util.function.IntPredicate;

/**
 * An axis-aligned bounding box of voxels (inclusive {@code lo}, exclusive {@code hi}).
 *
 * <p>Surface distances only involve foreground voxels, so the metrics work inside the bounding box
 * of the union of both masks: every voxel outside it is background, and the surface rule already
 * treats voxels outside the array as background, so the crop changes no surface voxel and no
 * distance while making small organs in large volumes cheap.
 */
final class Box {

    private final int[] lo;
    private final int[] hi;

    Box(int rank) {
        lo = new int[rank];
        hi = new int[rank];
        Arrays.fill(lo, Integer.MAX_VALUE);
        Arrays.fill(hi, Integer.MIN_VALUE);
    }

    boolean isEmpty() {
        return lo.length == 0 || lo[0] == Integer.MAX_VALUE;
    }

    void include(int[] coordinate) {
        for (int axis = 0; axis < lo.length; axis++) {
            int c = coordinate[axis];
            if (c < lo[axis]) {
                lo[axis] = c;
            }
            if (c + 1 > hi[axis]) {
                hi[axis] = c + 1;
            }
        }
    }

    int[] shape() {
        int[] shape = new int[lo.length];
        for (int axis = 0; axis < lo.length; axis++) {
            shape[axis] = hi[axis] - lo[axis];
        }
        return shape;
    }

    /** The box around every voxel where {@code foreground} holds; empty when there is none. */
    static Box around(int[] shape, IntPredicate foreground) {
        Box box = new Box(shape.length);
        int[] coordinate = new int[shape.length];
        int n = volume(shape);
        for (int index = 0; index < n; index++) {
            if (foreground.test(index)) {
                box.include(coordinate);
            }
            advance(coordinate, shape);
        }
        return box;
    }

    /** Copies the voxels of {@code full} (with shape {@code fullShape}) inside this box, C order. */
    boolean[] crop(boolean[] full, int[] fullShape) {
        return crop(fullShape, index -> full[index]);
    }

    /** The cropped mask whose voxel is {@code inside.test(index in the full array)}. */
    boolean[] crop(int[] fullShape, IntPredicate inside) {
        int[] cropShape = shape();
        int rank = cropShape.length;
        int[] strides = Grids.strides(fullShape);
        int rowLength = cropShape[rank - 1];
        int rows = volume(cropShape) / rowLength;
        boolean[] out = new boolean[rows * rowLength];
        // Rows along the last axis are contiguous in both arrays; walk the other axes as an odometer.
        int[] row = new int[rank - 1];
        int[] rowShape = Arrays.copyOf(cropShape, rank - 1);
        for (int r = 0; r < rows; r++) {
            int start = lo[rank - 1];
            for (int axis = 0; axis < rank - 1; axis++) {
                start += (lo[axis] + row[axis]) * strides[axis];
            }
            int base = r * rowLength;
            for (int i = 0; i < rowLength; i++) {
                out[base + i] = inside.test(start + i);
            }
            advance(row, rowShape);
        }
        return out;
    }

    /** Increments a C-order coordinate (last axis fastest). */
    static void advance(int[] coordinate, int[] shape) {
        for (int axis = coordinate.length - 1; axis >= 0; axis--) {
            if (++coordinate[axis] < shape[axis]) {
                return;
            }
            coordinate[axis] = 0;
        }
    }

    static int volume(int[] shape) {
        long n = 1;
        for (int s : shape) {
            n *= s;
        }
        return (int) n;
    }
}
