package org.medsa.data.volume;

import java.util.function.IntPredicate;

/**
 * Where a binary mask on one slice lies: its tight box and its central pixel. The one owner of
 * these host-side rules (prompts derived from a reference mask, propagation from slice to slice,
 * the demo's clicks); pixels are row-major, {@code index = row * width + column}.
 */
public final class SliceMasks {

    /** A box of pixels, corners included. */
    public record Box(int row0, int col0, int row1, int col1) {}

    private SliceMasks() {}

    /** The tight box of the pixels where {@code inside} holds, or null when there are none. */
    public static Box tightBox(IntPredicate inside, int height, int width) {
        int r0 = Integer.MAX_VALUE;
        int c0 = Integer.MAX_VALUE;
        int r1 = -1;
        int c1 = -1;
        for (int r = 0; r < height; r++) {
            for (int c = 0; c < width; c++) {
                if (inside.test(r * width + c)) {
                    r0 = Math.min(r0, r);
                    r1 = Math.max(r1, r);
                    c0 = Math.min(c0, c);
                    c1 = Math.max(c1, c);
                }
            }
        }
        return r1 < 0 ? null : new Box(r0, c0, r1, c1);
    }

    /** The tight box of a mask (height × width, row-major), or null when it is empty. */
    public static Box tightBox(boolean[] mask, int height, int width) {
        return tightBox(p -> mask[p], height, width);
    }

    /**
     * The pixel of the region nearest its centroid (the first in row-major order on a tie), a
     * deterministic click inside the region also when the region is not convex; -1 when fewer than
     * {@code minPixels} pixels are inside.
     */
    public static int centralPixel(IntPredicate inside, int height, int width, int minPixels) {
        long count = 0;
        double sumRow = 0;
        double sumCol = 0;
        int n = height * width;
        for (int p = 0; p < n; p++) {
            if (inside.test(p)) {
                count++;
                sumRow += p / width;
                sumCol += p % width;
            }
        }
        if (count == 0 || count < minPixels) {
            return -1;
        }
        double cr = sumRow / count;
        double cc = sumCol / count;
        int best = -1;
        double bestDistance = Double.MAX_VALUE;
        for (int p = 0; p < n; p++) {
            if (inside.test(p)) {
                double d = Math.pow(p % width - cc, 2) + Math.pow(p / width - cr, 2);
                if (d < bestDistance) {
                    bestDistance = d;
                    best = p;
                }
            }
        }
        return best;
    }
}
