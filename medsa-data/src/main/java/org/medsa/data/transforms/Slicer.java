package org.medsa.data.transforms;

import org.medsa.core.MedsaException;
import org.medsa.data.volume.Grid;
import org.medsa.data.volume.ImageVolume;
import org.medsa.data.volume.LabelVolume;

/**
 * Extracts 2D slices from volumes along any axis.
 *
 * <p>Convention (the same as numpy's {@code volume.take(index, axis)} on a nibabel array): the two
 * remaining axes keep their order and become (rows, cols). For axis 2 (axial after RAS) rows run
 * along i (R) and cols along j (A); for axis 1, rows = i, cols = k; for axis 0, rows = j, cols = k.
 * A slice is row-major: {@code value(r, c) = slice[r * cols + c]}.
 */
public final class Slicer {

    private Slicer() {}

    /** (rows, cols) of slices along {@code axis}. */
    public static int[] sliceShape(Grid grid, int axis) {
        checkAxis(axis);
        int a = axis == 0 ? 1 : 0;
        int b = axis == 2 ? 1 : 2;
        return new int[] {grid.size(a), grid.size(b)};
    }

    /** Voxel spacing (mm) of slices along {@code axis}: (row spacing, col spacing). */
    public static double[] sliceSpacing(Grid grid, int axis) {
        checkAxis(axis);
        double[] s = grid.spacing();
        int a = axis == 0 ? 1 : 0;
        int b = axis == 2 ? 1 : 2;
        return new double[] {s[a], s[b]};
    }

    /** Slice {@code index} along {@code axis} of an image, (rows, cols) row-major. */
    public static float[] slice(ImageVolume volume, int axis, int index) {
        Grid g = volume.grid();
        int[] off = offsets(g, axis, index);
        float[] data = volume.data();
        float[] out = new float[off.length];
        for (int p = 0; p < off.length; p++) {
            out[p] = data[off[p]];
        }
        return out;
    }

    /** Slice {@code index} along {@code axis} of a label map, (rows, cols) row-major. */
    public static int[] slice(LabelVolume volume, int axis, int index) {
        Grid g = volume.grid();
        int[] off = offsets(g, axis, index);
        int[] data = volume.data();
        int[] out = new int[off.length];
        for (int p = 0; p < off.length; p++) {
            out[p] = data[off[p]];
        }
        return out;
    }

    /** Writes a (rows, cols) slice into the voxel array of a volume on {@code grid} (e.g. to assemble a prediction). */
    public static void put(int[] volumeData, Grid grid, int axis, int index, int[] slice) {
        int[] off = offsets(grid, axis, index);
        if (slice.length != off.length || volumeData.length != grid.voxelCount()) {
            throw new MedsaException("slice of " + slice.length + " values does not fit axis " + axis + " of " + grid);
        }
        for (int p = 0; p < off.length; p++) {
            volumeData[off[p]] = slice[p];
        }
    }

    /** Row-major voxel indices of the slice. */
    static int[] offsets(Grid g, int axis, int index) {
        checkAxis(axis);
        if (index < 0 || index >= g.size(axis)) {
            throw new MedsaException("slice " + index + " out of range 0.." + (g.size(axis) - 1) + " on axis " + axis);
        }
        int a = axis == 0 ? 1 : 0;
        int b = axis == 2 ? 1 : 2;
        int[] stride = {1, g.nx(), g.nx() * g.ny()};
        int rows = g.size(a), cols = g.size(b);
        int[] out = new int[rows * cols];
        int base = index * stride[axis];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[r * cols + c] = base + r * stride[a] + c * stride[b];
            }
        }
        return out;
    }

    private static void checkAxis(int axis) {
        if (axis < 0 || axis > 2) {
            throw new MedsaException("slice axis must be 0, 1 or 2, got " + axis);
        }
    }
}
