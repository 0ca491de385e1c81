package org.medsa.metrics;

import org.medsa.core.MedsaException;

/**
 * Percentiles with linear interpolation between order statistics, the definition of
 * {@code numpy.percentile(x, p)} with its default method ("linear", Hyndman and Fan type 7) and of
 * {@code torch.quantile}, which MONAI uses for HD95.
 */
public final class Percentiles {

    private Percentiles() {}

    /**
     * The {@code percent}-th percentile of values already sorted in ascending order: with
     * h = (percent / 100)·(n − 1), the value x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋ + 1] − x[⌊h⌋]).
     *
     * @param sortedAscending at least one value, ascending, no NaN
     * @param percent         in [0, 100]
     */
    public static double linear(double[] sortedAscending, double percent) {
        if (sortedAscending.length == 0) {
            throw new MedsaException("percentile of no values");
        }
        if (!(percent >= 0 && percent <= 100)) {
            throw new MedsaException("percent must be in [0, 100], got " + percent);
        }
        int n = sortedAscending.length;
        double position = (percent / 100.0) * (n - 1);
        int below = (int) Math.floor(position);
        if (below >= n - 1) {
            return sortedAscending[n - 1];
        }
        double fraction = position - below;
        double a = sortedAscending[below];
        double b = sortedAscending[below + 1];
        // interpolate from the nearer end, as numpy does, so equal neighbours give exactly that value
        return fraction < 0.5 ? a + (b - a) * fraction : b - (b - a) * (1 - fraction);
    }
}
