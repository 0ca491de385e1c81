package org.medsa.data.volume;

import org.medsa.core.MedsaException;

/**
 * A 3D intensity volume: float values on a {@link Grid}, i fastest.
 *
 * <p>The array is shared, not copied: transforms return new volumes instead of writing into it.
 */
public final class ImageVolume {

    private final Grid grid;
    private final float[] data;

    /** A volume over {@code data} (one value per voxel, i fastest; shared, not copied). */
    public ImageVolume(Grid grid, float[] data) {
        if (data.length != grid.voxelCount()) {
            throw new MedsaException(
                    "image has " + data.length + " values for a grid of " + grid.voxelCount() + " voxels");
        }
        this.grid = grid;
        this.data = data;
    }

    /** The volume's geometry. */
    public Grid grid() {
        return grid;
    }

    /** The voxel values (not a copy: do not modify). */
    public float[] data() {
        return data;
    }

    /** The value at voxel (i, j, k). */
    public float get(int i, int j, int k) {
        return data[grid.index(i, j, k)];
    }

    /** The same values on another grid (of the same voxel count). */
    public ImageVolume withGrid(Grid newGrid) {
        return new ImageVolume(newGrid, data);
    }
}
