package org.medsa.core;

import java.util.Locale;

/**
 * A progress bar with ETA for long loops, said through a {@link Diagnostics}: every update where
 * the sink redraws in place (a terminal), one line every {@code every} updates otherwise (logs,
 * CI).
 */
public final class ProgressLine {

    private final Diagnostics out;
    private final String label;
    private final int total;
    private final int every;
    private final long start = System.nanoTime();
    private final int first;

    /**
     * A progress line for {@code total} items, {@code first} of them done before it starts (a
     * resumed run).
     */
    public ProgressLine(Diagnostics out, String label, int first, int total, int every) {
        this.out = out;
        this.label = label;
        this.first = first;
        this.total = total;
        this.every = Math.max(1, every);
    }

    /** Reports that {@code done} of {@code total} are finished, with extra text. */
    public void update(int done, String extra) {
        boolean last = done >= total;
        if (!out.redrawsProgress() && !last && done % every != 0) {
            return;
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        int progressed = Math.max(1, done - first);
        double eta = elapsed / progressed * (total - done);
        int width = 24;
        int filled = (int) Math.round(width * (double) done / Math.max(1, total));
        String bar = "#".repeat(filled) + ".".repeat(width - filled);
        out.progress(String.format(Locale.ROOT, "%s [%s] %d/%d %3.0f%% %s | %s elapsed, ETA %s", label, bar, done, total,
                100.0 * done / Math.max(1, total), extra, clock(elapsed), last ? "0s" : clock(eta)), last);
    }

    static String clock(double seconds) {
        long s = Math.round(seconds);
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return (s / 60) + "m" + String.format(Locale.ROOT, "%02d", s % 60) + "s";
        }
        return (s / 3600) + "h" + String.format(Locale.ROOT, "%02d", (s % 3600) / 60) + "m";
    }
}
