package org.medsa.data.volume;

import java.util.Arrays;
import org.medsa.core.MedsaException;

/**
 * A 3D label map: an integer label per voxel (0 = background) on a {@link Grid}, i fastest.
 *
 * <p>Labels are never interpolated: every transform maps them with nearest-neighbour lookups.
 */
public final class LabelVolume {

    private final Grid grid;
    private final int[] data;

    /** A label map over {@code data} (one label per voxel, i fastest; shared, not copied). */
    public LabelVolume(Grid grid, int[] data) {
        if (data.length != grid.voxelCount()) {
            throw new MedsaException(
                    "label map has " + data.length + " values for a grid of " + grid.voxelCount() + " voxels");
        }
        this.grid = grid;
        this.data = data;
    }

    /** The label map's geometry. */
    public Grid grid() {
        return grid;
    }

    /** The labels (not a copy: do not modify). */
    public int[] data() {
        return data;
    }

    /** The label at voxel (i, j, k). */
    public int get(int i, int j, int k) {
        return data[grid.index(i, j, k)];
    }

    /** Number of voxels carrying {@code label}. */
    public long count(int label) {
        long n = 0;
        for (int v : data) {
            if (v == label) {
                n++;
            }
        }
        return n;
    }

    /** The distinct non-zero labels, ascending. */
    public int[] foregroundLabels() {
        return Arrays.stream(data).filter(v -> v != 0).distinct().sorted().toArray();
    }

    /** The same labels on another grid (of the same voxel count). */
    public LabelVolume withGrid(Grid newGrid) {
        return new LabelVolume(newGrid, data);
    }
}
