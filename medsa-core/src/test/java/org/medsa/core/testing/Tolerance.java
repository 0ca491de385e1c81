package org.medsa.core.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Checks |got - ref| <= atol + rtol * |ref| elementwise, as the fixtures' README suggests. */
public final class Tolerance {

    private Tolerance() {}

    /** Returns the largest absolute difference, failing if any element is out of tolerance. */
    public static double assertClose(String what, float[] ref, float[] got, double atol, double rtol) {
        assertEquals(ref.length, got.length, what + ": element count");
        double maxDiff = 0;
        int worst = -1;
        int bad = 0;
        for (int i = 0; i < ref.length; i++) {
            double d = Math.abs((double) got[i] - ref[i]);
            if (Double.isNaN(got[i]) != Double.isNaN(ref[i])) {
                d = Double.POSITIVE_INFINITY;
            }
            if (d > maxDiff || worst < 0) {
                maxDiff = Math.max(maxDiff, d);
                if (d >= maxDiff) {
                    worst = i;
                }
            }
            if (d > atol + rtol * Math.abs(ref[i])) {
                bad++;
            }
        }
        if (Boolean.getBoolean("medsa.parityLog")) {
            double maxRef = 0;
            for (float r : ref) {
                maxRef = Math.max(maxRef, Math.abs(r));
            }
            System.out.printf("PARITY %s: max |diff| %.3g (max |ref| %.3g, %d values)%n", what, maxDiff, maxRef, ref.length);
        }
        if (bad > 0) {
            fail(String.format("%s: %d of %d elements out of tolerance (atol %g, rtol %g); max |diff| %.3g at %d (ref %g, got "
                    + "%g)",
                    what, bad, ref.length, atol, rtol, maxDiff, worst, ref[worst], got[worst]));
        }
        return maxDiff;
    }

    public static void assertShape(String what, long[] expected, long[] got) {
        assertArrayEquals(expected, got, what + ": shape");
    }

    /**
     * The lowest IoU between the masks (values &gt; 0) of two arrays holding masks of {@code per}
     * values one after another; two empty masks count as IoU 1.
     */
    public static double lowestMaskIou(float[] a, float[] b, int per) {
        assertEquals(a.length, b.length, "mask values");
        double worst = 1;
        for (int start = 0; start < a.length; start += per) {
            long inter = 0;
            long union = 0;
            for (int i = start; i < start + per; i++) {
                inter += a[i] > 0 && b[i] > 0 ? 1 : 0;
                union += a[i] > 0 || b[i] > 0 ? 1 : 0;
            }
            worst = Math.min(worst, union == 0 ? 1 : (double) inter / union);
        }
        return worst;
    }
}
