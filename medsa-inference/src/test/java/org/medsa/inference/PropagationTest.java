package org.medsa.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.medsa.core.MedsaException;
import org.medsa.core.predictor.Prompt;
import org.medsa.core.predictor.SamPrediction;

/**
 * The propagation walk with a scripted decoder (no model): which slices it visits, what each is
 * prompted with (the previous mask's tight box and low-res logits), and each way it stops.
 */
class PropagationTest {

    static final int H = 6;
    static final int W = 5;

    /** A one-mask prediction whose mask is the rectangle rows r0..r1, cols c0..c1 (empty if r1 < r0), low-res = slice id. */
    static SamPrediction rect(int slice, int r0, int c0, int r1, int c1, float iou) {
        float[] logits = new float[H * W];
        for (int r = 0; r < H; r++) {
            for (int c = 0; c < W; c++) {
                logits[r * W + c] = r >= r0 && r <= r1 && c >= c0 && c <= c1 ? 5f : -5f;
            }
        }
        float[] low = new float[4];
        Arrays.fill(low, slice);
        return new SamPrediction(1, H, W, logits, 2, 2, low, new float[] {iou}, 0f);
    }

    static boolean[] seed() {
        boolean[] m = new boolean[H * W];
        m[2 * W + 1] = true; // rows 2..3, cols 1..3
        m[3 * W + 3] = true;
        return m;
    }

    @Test
    void walksDownThenUpPromptedByThePreviousMask() {
        List<String> calls = new ArrayList<>();
        Propagation.SliceDecoder d = (s, p) -> {
            calls.add(s + ":" + Arrays.toString(p.box()) + ":"
                    + (p.maskInput() == null ? "-" : String.valueOf(p.maskInput()[0])));
            if (s == 2 || s == 8) {
                return rect(s, 0, 0, -1, -1, 0.9f); // empty: the structure ends
            }
            return rect(s, 1, 0, 4 - Math.abs(s - 5) , 2, 0.9f);
        };
        List<Propagation.Step> steps = Propagation.run(5, seed(), new float[] {7, 7, 7, 7}, 2, 2, H, W, 10,
                Propagation.Direction.BOTH,
                100, 0, s -> false, d);
        List<Integer> slices = new ArrayList<>();
        steps.forEach(st -> slices.add(st.slice()));
        assertEquals(List.of(4, 3, 6, 7), slices);
        // slice 4 gets the seed's box (x = cols 1..3, y = rows 2..3) and the seed's logits; slice 3 gets slice 4's
        assertEquals(List.of("4:[1.0, 2.0, 3.0, 3.0]:7.0", "3:[0.0, 1.0, 2.0, 3.0]:4.0", "2:[0.0, 1.0, 2.0, 2.0]:3.0",
                "6:[1.0, 2.0, 3.0, 3.0]:7.0", "7:[0.0, 1.0, 2.0, 3.0]:6.0", "8:[0.0, 1.0, 2.0, 2.0]:7.0"), calls);
        assertEquals(9, steps.get(0).area()); // rows 1..3 x cols 0..2
        assertArrayEquals(new float[] {4, 4, 4, 4}, steps.get(0).lowRes());
    }

    @Test
    void stopsAtTheMinimumIouTheLimitAReservedSliceAndTheEdge() {
        Propagation.SliceDecoder d = (s, p) -> rect(s, 0, 0, 1, 1, s == 7 ? 0.4f : 0.8f);
        List<Integer> got = new ArrayList<>();
        Propagation.run(5, seed(), null, 2, 2, H, W, 10, Propagation.Direction.UP, 100, 0.5, s -> false, d)
                .forEach(st -> got.add(st.slice()));
        assertEquals(List.of(6), got, "slice 7's IoU 0.4 is below 0.5");
        got.clear();
        Propagation.run(5, seed(), null, 2, 2, H, W, 10, Propagation.Direction.DOWN, 2, 0, s -> false, d)
                .forEach(st -> got.add(st.slice()));
        assertEquals(List.of(4, 3), got, "at most 2 slices");
        got.clear();
        Propagation.run(5, seed(), null, 2, 2, H, W, 10, Propagation.Direction.DOWN, 100, 0, s -> s == 2, d)
                .forEach(st -> got.add(st.slice()));
        assertEquals(List.of(4, 3), got, "stops before reserved slice 2");
        got.clear();
        Propagation.run(8, seed(), null, 2, 2, H, W, 10, Propagation.Direction.UP, 100, 0, s -> false, d)
                .forEach(st -> got.add(st.slice()));
        assertEquals(List.of(9), got, "the edge");
    }

    @Test
    void badArgumentsAndEmptySeedsAreRefused() {
        Propagation.SliceDecoder d = (s, p) -> rect(s, 0, 0, 1, 1, 1f);
        MedsaException e = assertThrows(MedsaException.class,
                () -> Propagation.run(5, new boolean[H * W], null, 2, 2, H, W, 10, Propagation.Direction.BOTH, 3, 0, s -> false,
                        d));
        assertTrue(e.getMessage().contains("nothing to propagate"));
        assertThrows(MedsaException.class, ()
                -> Propagation.run(10, seed(), null, 2, 2, H, W, 10, Propagation.Direction.BOTH, 3, 0, s -> false, d));
        assertThrows(MedsaException.class, ()
                -> Propagation.run(5, seed(), null, 2, 2, H, W, 10, Propagation.Direction.BOTH, 0, 0, s -> false, d));
        assertThrows(MedsaException.class, ()
                -> Propagation.run(5, seed(), null, 2, 2, H, W, 10, Propagation.Direction.BOTH, 3, 1.5, s -> false, d));
        assertEquals(Propagation.Direction.UP, Propagation.Direction.parse(" Up "));
        assertThrows(MedsaException.class, () -> Propagation.Direction.parse("sideways"));
        assertNull(Propagation.promptFrom(new boolean[H * W], H, W, null, 0, 0));
        Prompt p = Propagation.promptFrom(seed(), H, W, new float[] {1, 2, 3, 4}, 2, 2);
        assertArrayEquals(new double[] {1, 2, 3, 3}, p.box());
        assertArrayEquals(new float[] {1, 2, 3, 4}, p.maskInput());
    }
}
