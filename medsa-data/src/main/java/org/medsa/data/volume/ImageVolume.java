package org.medsa.data.volume;

/**
 * A 3D intensity volume: float values on a {@link Grid}, i fastest.
 *
 * <p>The array is shared, not copied: transforms return new volumes instead of writing into it.
 */
public final class ImageVolume {

    private final Grid grid;
    private final float[] data;

    public ImageVolume(Grid grid, float[] data) {
        if (data.length != grid.voxelCount()) {
            throw new IllegalArgumentException(
                    "image has " + data.length + " values for a grid of " + grid.voxelCount() + " voxels");
        }
        this.grid = grid;
        this.data = data;
    }

    public Grid grid() {
        return grid;
    }

    /** The voxel values (not a copy: do not modify). */
    public float[] data() {
        return data;
    }

    public float get(int i, int j, int k) {
        return data[grid.index(i, j, k)];
    }

    public ImageVolume withGrid(Grid newGrid) {
        return new ImageVolume(newGrid, data);
    }
}
