package org.medsa.data.volume;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;
import org.medsa.data.geometry.Affine;

/** The 3D one-point click on hand-made label volumes. */
class OrganClicksTest {

    @Test
    void middleSliceLargestRegionCentre() {
        // 7 x 6 x 5 voxels; label 3 on slices k = 1..4 -> middle slice (1 + 4) / 2 = 2
        Grid g = new Grid(7, 6, 5, Affine.identity());
        int[] data = new int[7 * 6 * 5];
        for (int k = 1; k <= 4; k++) {
            set(data, 0, 0, k, 3); // a one-voxel region on every slice
        }
        // on slice 2 the larger region: i = 3..5, j = 2..4 (9 voxels), centre (4, 3)
        for (int i = 3; i <= 5; i++) {
            for (int j = 2; j <= 4; j++) {
                set(data, i, j, 2, 3);
            }
        }
        LabelVolume labels = new LabelVolume(g, data);
        assertArrayEquals(new int[] {4, 3, 2}, OrganClicks.centre(labels, 3, 2));
        // along axis 0 the label lies on i = 0 and 3..5 -> middle slice (0 + 5) / 2 = 2 is empty; i = 1 is empty too,
        // i = 3 has it: the line j = 2..4 at k = 2, centre j = 3
        assertArrayEquals(new int[] {3, 3, 2}, OrganClicks.centre(labels, 3, 0));
        // along axis 1: j = 0 has the line i = 0, k = 1..4 (middle slice (0 + 4) / 2 = 2 has the 3x3 block's row
        // i = 3..5, k = 2 and nothing else) -> centre i = 4
        assertArrayEquals(new int[] {4, 2, 2}, OrganClicks.centre(labels, 3, 1));
        assertNull(OrganClicks.centre(labels, 5, 2));
    }

    private static void set(int[] data, int i, int j, int k, int v) {
        data[i + 7 * (j + 6 * k)] = v;
    }
}
