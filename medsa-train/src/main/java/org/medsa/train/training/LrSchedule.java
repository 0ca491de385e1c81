package org.medsa.train.training;

/** Linear warm-up to the peak rate, then cosine decay to zero. */
public record LrSchedule(double peak, int totalSteps, int warmupSteps) {

    /** A schedule whose warm-up is {@code round(totalSteps * warmupFraction)} steps. */
    public static LrSchedule of(double peak, int totalSteps, double warmupFraction) {
        return new LrSchedule(peak, totalSteps, (int) Math.round(totalSteps * warmupFraction));
    }

    /** The rate for optimiser step {@code step} (0-based). */
    public double at(int step) {
        if (warmupSteps > 0 && step < warmupSteps) {
            return peak * (step + 1) / warmupSteps;
        }
        int decay = Math.max(1, totalSteps - warmupSteps);
        double t = Math.min(1.0, (double) (step - warmupSteps) / decay);
        return peak * 0.5 * (1 + Math.cos(Math.PI * t));
    }
}
