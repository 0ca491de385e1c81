package org.medsa.data.transforms;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class AugmentationTest {

    /** depth 2, 1 channel, 2x3: image value = 100 z + 10 r + c; target 1 at (z, 0, 0) only. */
    private static Sample stack() {
        float[] img = new float[12];
        float[] tgt = new float[12];
        for (int z = 0; z < 2; z++) {
            for (int r = 0; r < 2; r++) {
                for (int c = 0; c < 3; c++) {
                    img[z * 6 + r * 3 + c] = 100 * z + 10 * r + c;
                }
            }
            tgt[z * 6] = 1;
        }
        return new Sample(2, 1, 2, 3, img, tgt);
    }

    @Test
    void flipsMoveImageAndTargetTogether() {
        Sample cols = RandomFlip.flip(stack(), RandomFlip.Axis.COLS);
        assertArrayEquals(new float[] {2, 1, 0, 12, 11, 10}, Arrays.copyOf(cols.image(), 6), 0);
        assertEquals(1, cols.target()[2], 0);
        Sample rows = RandomFlip.flip(stack(), RandomFlip.Axis.ROWS);
        assertArrayEquals(new float[] {10, 11, 12, 0, 1, 2}, Arrays.copyOf(rows.image(), 6), 0);
        assertEquals(1, rows.target()[3], 0);
        Sample depth = RandomFlip.flip(stack(), RandomFlip.Axis.DEPTH);
        assertEquals(100, depth.image()[0], 0);
        assertEquals(0, depth.image()[6], 0);
    }

    @Test
    void rotationFollowsNumpyRot90() {
        // numpy: rot90([[1, 2], [3, 4]]) == [[2, 4], [1, 3]]
        Sample s = new Sample(1, 1, 2, 2, new float[] {1, 2, 3, 4}, new float[] {1, 0, 0, 0});
        Sample r = RandomRotate90.rotate(s, 1);
        assertArrayEquals(new float[] {2, 4, 1, 3}, r.image(), 0);
        assertArrayEquals(new float[] {0, 0, 1, 0}, r.target(), 0);
        assertArrayEquals(s.image(), RandomRotate90.rotate(s, 4).image(), 0);
        // a 2x3 slice turns into 3x2
        Sample wide = RandomRotate90.rotate(stack(), 1);
        assertEquals(3, wide.height());
        assertEquals(2, wide.width());
        assertArrayEquals(new float[] {2, 12, 1, 11, 0, 10}, Arrays.copyOf(wide.image(), 6), 0);
    }

    @Test
    void intensityShiftIsOneOffsetWithinTheRange() {
        Sample s = stack();
        Sample shifted = new RandomIntensityShift(0.1, 1.0).apply(s, new Random(1));
        float offset = shifted.image()[0] - s.image()[0];
        assertTrue(Math.abs(offset) <= 25.5f && offset != 0, "offset " + offset);
        for (int i = 0; i < 12; i++) {
            assertEquals(s.image()[i] + offset, shifted.image()[i], 1e-4);
        }
        assertSame(s.target(), shifted.target());
    }

    @Test
    void probabilitiesAndSeedsAreHonoured() {
        Sample s = stack();
        SamplePipeline never = SamplePipeline.of(new RandomFlip(RandomFlip.Axis.ROWS, 0), new RandomRotate90(0),
                new RandomIntensityShift(0.1, 0));
        assertSame(s, never.apply(s, new Random(5)));
        SamplePipeline always = SamplePipeline.of(new RandomFlip(RandomFlip.Axis.COLS, 1), new RandomIntensityShift(0.1, 1));
        Sample a = always.apply(s, new Random(42));
        Sample b = always.apply(s, new Random(42));
        assertArrayEquals(a.image(), b.image(), 0);
        assertNotEquals(a.image()[0], always.apply(s, new Random(43)).image()[0]);
        // over many draws a p = 0.1 flip happens about 10 % of the time
        RandomFlip flip = new RandomFlip(RandomFlip.Axis.ROWS, 0.1);
        Random r = new Random(7);
        int flipped = 0;
        for (int i = 0; i < 2000; i++) {
            if (flip.apply(s, r) != s) {
                flipped++;
            }
        }
        assertTrue(flipped > 150 && flipped < 250, "flipped " + flipped);
    }
}
