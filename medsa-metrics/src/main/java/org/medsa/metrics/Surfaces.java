package org.medsa.metrics;

/**
 * Surface voxels of a binary mask, as MONAI defines them for its surface-distance metrics.
 *
 * <p>The surface is {@code mask XOR erosion(mask)} where the erosion uses the cross-shaped
 * structuring element (the voxel and its 2·rank face neighbours: 4-connectivity in 2D,
 * 6-connectivity in 3D) and voxels outside the array count as background. So a foreground voxel is
 * on the surface when at least one face neighbour is background or lies outside the array; a mask
 * touching the border has its border voxels on the surface. Diagonal neighbours play no part.
 */
public final class Surfaces {

    private Surfaces() {}

    /**
     * The surface of {@code mask}.
     *
     * @param mask  foreground voxels, row-major (C order)
     * @param shape the array's shape (any rank of at least 1; 2D and 3D are the intended use)
     * @return a new array, true exactly at surface voxels
     */
    public static boolean[] of(boolean[] mask, int[] shape) {
        int n = Grids.checkShape(shape, mask.length, "mask");
        int rank = shape.length;
        int[] strides = Grids.strides(shape);
        boolean[] surface = new boolean[n];
        int[] coordinate = new int[rank];
        for (int index = 0; index < n; index++) {
            if (mask[index]) {
                surface[index] = hasBackgroundNeighbour(mask, index, coordinate, shape, strides);
            }
            Box.advance(coordinate, shape);
        }
        return surface;
    }

    private static boolean hasBackgroundNeighbour(boolean[] mask, int index, int[] coordinate, int[] shape,
            int[] strides) {
        for (int axis = 0; axis < shape.length; axis++) {
            int c = coordinate[axis];
            if (c == 0 || c == shape[axis] - 1) {
                return true; // the neighbour outside the array is background
            }
            if (!mask[index - strides[axis]] || !mask[index + strides[axis]]) {
                return true;
            }
        }
        return false;
    }
}
