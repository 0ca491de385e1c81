package org.medsa.data.volume;

import java.util.ArrayDeque;
import org.medsa.data.transforms.Slicer;

/**
 * The one click a 3D one-point prompt gives an organ: on the organ's middle slice along an axis
 * (halfway between its first and last slice; the nearest slice that has it, when the organ has a
 * gap there), the central pixel ({@link SliceMasks#centralPixel}) of its largest 4-connected
 * cross-section. The owner of this rule for the demo's tracking and for evaluation from one click.
 */
public final class OrganClicks {

    private OrganClicks() {}

    /**
     * The click of {@code label} as voxel indices {i, j, k}, or null when the volume does not
     * contain the label.
     */
    public static int[] centre(LabelVolume labels, int label, int axis) {
        Grid g = labels.grid();
        int n = g.size(axis);
        int first = -1;
        int last = -1;
        boolean[] present = new boolean[n];
        for (int k = 0; k < n; k++) {
            for (int v : Slicer.slice(labels, axis, k)) {
                if (v == label) {
                    present[k] = true;
                    break;
                }
            }
            if (present[k]) {
                first = first < 0 ? k : first;
                last = k;
            }
        }
        if (first < 0) {
            return null;
        }
        int mid = (first + last) / 2;
        int slice = mid;
        for (int d = 0; !present[slice]; d++) {
            slice = mid - d >= first && present[mid - d] ? mid - d : mid + d;
        }
        int[] hw = Slicer.sliceShape(g, axis);
        int[] s = Slicer.slice(labels, axis, slice);
        boolean[] region = largestRegion(s, label, hw[0], hw[1]);
        int p = SliceMasks.centralPixel(q -> region[q], hw[0], hw[1], 1);
        int[] voxel = new int[3];
        voxel[axis] = slice;
        voxel[axis == 0 ? 1 : 0] = p / hw[1];
        voxel[axis == 2 ? 1 : 2] = p % hw[1];
        return voxel;
    }

    /** The largest 4-connected region of {@code label} in a (rows, cols) slice (the first found on a tie). */
    static boolean[] largestRegion(int[] slice, int label, int height, int width) {
        int[] component = new int[slice.length];
        int best = 0;
        int bestSize = 0;
        int next = 0;
        ArrayDeque<Integer> queue = new ArrayDeque<>();
        for (int start = 0; start < slice.length; start++) {
            if (slice[start] != label || component[start] != 0) {
                continue;
            }
            next++;
            int size = 0;
            component[start] = next;
            queue.add(start);
            while (!queue.isEmpty()) {
                int p = queue.poll();
                size++;
                int r = p / width;
                int c = p % width;
                int[] neighbours = {r > 0 ? p - width : -1, r < height - 1 ? p + width : -1, c > 0 ? p - 1 : -1,
                    c < width - 1 ? p + 1 : -1};
                for (int q : neighbours) {
                    if (q >= 0 && slice[q] == label && component[q] == 0) {
                        component[q] = next;
                        queue.add(q);
                    }
                }
            }
            if (size > bestSize) {
                bestSize = size;
                best = next;
            }
        }
        boolean[] out = new boolean[slice.length];
        for (int p = 0; p < slice.length; p++) {
            out[p] = component[p] == best && best != 0;
        }
        return out;
    }
}
