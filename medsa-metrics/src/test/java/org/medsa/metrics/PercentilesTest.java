package org.medsa.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.medsa.core.MedsaException;

class PercentilesTest {

    @Test
    void matchesNumpyPercentileValues() {
        // values printed by numpy 1.24 np.percentile(x, 95)
        assertEquals(3.8499999999999996, Percentiles.linear(new double[] {1, 2, 3, 4}, 95), 1e-15);
        assertEquals(9.549999999999999, Percentiles.linear(new double[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 95), 1e-15);
        assertEquals(9.5, Percentiles.linear(new double[] {0, 10}, 95), 1e-15);
        assertEquals(2.0, Percentiles.linear(new double[] {2, 2, 7}, 50), 0.0);
    }

    @Test
    void endsAreMinimumAndMaximum() {
        double[] x = {0.5, 1.5, 4, 9};
        assertEquals(0.5, Percentiles.linear(x, 0), 0.0);
        assertEquals(9, Percentiles.linear(x, 100), 0.0);
        assertEquals(3.0, Percentiles.linear(new double[] {3.0}, 95), 0.0);
    }

    @Test
    void interpolatesLinearlyBetweenOrderStatistics() {
        // h = 0.95 * 4 = 3.8: 80% of the way from x[3] = 10 to x[4] = 20
        assertEquals(18.0, Percentiles.linear(new double[] {0, 1, 2, 10, 20}, 95), 1e-12);
        // h = 0.25 * 4 = 1: exactly x[1]
        assertEquals(1.0, Percentiles.linear(new double[] {0, 1, 2, 10, 20}, 25), 0.0);
    }

    @Test
    void rejectsBadArguments() {
        assertThrows(MedsaException.class, () -> Percentiles.linear(new double[0], 95));
        assertThrows(MedsaException.class, () -> Percentiles.linear(new double[] {1}, 101));
        assertThrows(MedsaException.class, () -> Percentiles.linear(new double[] {1}, Double.NaN));
    }
}
