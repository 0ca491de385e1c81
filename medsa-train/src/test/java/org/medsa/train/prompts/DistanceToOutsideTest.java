package org.medsa.train.prompts;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The device distance transform against brute force on the host. */
class DistanceToOutsideTest {

    @Test
    void matchesBruteForceSquaredDistances() {
        int batch = 6;
        int height = 23;
        int width = 37;
        boolean[][][] masks = TestMasks.randomBlobs(new Random(61), batch, height, width);
        masks[0] = TestMasks.rectangle(height, width, 0, 0, width - 1, height - 1); // all set
        masks[1] = new boolean[height][width]; // nothing set
        masks[2][5][7] = true;
        try (NDManager manager = NDManager.newBaseManager();
                NDManager scope = manager.newSubManager()) {
            NDArray region = TestMasks.toArray(manager, masks);
            region.attach(scope);
            float[] squared = MaskOps.squaredDistanceToOutside(region, scope).toFloatArray();
            for (int b = 0; b < batch; b++) {
                for (int y = 0; y < height; y++) {
                    for (int x = 0; x < width; x++) {
                        float expected = masks[b][y][x] ? bruteForce(masks[b], x, y) : 0;
                        assertEquals(expected, squared[(b * height + y) * width + x], "sample " + b + " at " + x + "," + y);
                    }
                }
            }
        }
    }

    /** Smallest squared distance to an unset pixel, the ring just outside the image included. */
    private static float bruteForce(boolean[][] mask, int x, int y) {
        int best = Integer.MAX_VALUE;
        for (int yy = -1; yy <= mask.length; yy++) {
            for (int xx = -1; xx <= mask[0].length; xx++) {
                boolean outside = yy < 0 || xx < 0 || yy >= mask.length || xx >= mask[0].length;
                if (outside || !mask[yy][xx]) {
                    best = Math.min(best, (x - xx) * (x - xx) + (y - yy) * (y - yy));
                }
            }
        }
        return best;
    }
}
