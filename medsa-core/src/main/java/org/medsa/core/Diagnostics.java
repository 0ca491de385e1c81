package org.medsa.core;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Where a library call says what it does: notes (one line each: what was loaded, what was
 * decided), warnings and the progress of long work. The one diagnostics channel of the library:
 * every call that talks takes one, and nothing in the library prints or logs on its own.
 * Errors are never reported here: they are thrown as {@link MedsaException}.
 *
 * <pre>{@code
 * Diagnostics.stderr()                 // the command line: notes on stderr, progress redrawn on a terminal
 * Diagnostics.of(log::info)            // an application's logger
 * Diagnostics.none()                   // silence
 * }</pre>
 */
@FunctionalInterface
public interface Diagnostics {

    /** One line of information (no line break at the end). */
    void note(String line);

    /** One line about something that may need attention; the work goes on. */
    default void warn(String line) {
        note("warning: " + line);
    }

    /**
     * A progress line of long work; {@code last} is true for the final one. Sinks that can redraw
     * a line (a terminal) replace the previous progress line; others print each one.
     */
    default void progress(String line, boolean last) {
        note(line);
    }

    /** True when {@link #progress} redraws in place, so frequent updates cost no lines. */
    default boolean redrawsProgress() {
        return false;
    }

    /** Lines to a consumer (e.g. a logger's method). */
    static Diagnostics of(Consumer<String> lines) {
        return lines::accept;
    }

    /** Nothing is said. */
    static Diagnostics none() {
        return line -> { };
    }

    /** Lines on a stream; progress lines one after another. */
    static Diagnostics to(PrintStream out) {
        return new Diagnostics() {
            @Override
            public void note(String line) {
                out.println(line);
                out.flush();
            }
        };
    }

    /**
     * Notes held back until the work starts (the first progress line) or {@link Deferred#flush}:
     * a job refused before it starts (bad data, a damaged checkpoint, a loss that is NaN at the
     * first step) then says only its error, not the lines that led up to it.
     */
    static Deferred deferred(Diagnostics target) {
        return new Deferred(target);
    }

    /** See {@link #deferred}. */
    final class Deferred implements Diagnostics {
        private final Diagnostics target;
        private final List<String[]> held = new ArrayList<>();
        private boolean started;

        private Deferred(Diagnostics target) {
            this.target = target;
        }

        @Override
        public synchronized void note(String line) {
            if (started) {
                target.note(line);
            } else {
                held.add(new String[] {"note", line});
            }
        }

        @Override
        public synchronized void warn(String line) {
            if (started) {
                target.warn(line);
            } else {
                held.add(new String[] {"warn", line});
            }
        }

        @Override
        public synchronized void progress(String line, boolean last) {
            flush();
            target.progress(line, last);
        }

        @Override
        public boolean redrawsProgress() {
            return target.redrawsProgress();
        }

        /** Says what was held back; from now on everything passes straight through. */
        public synchronized void flush() {
            started = true;
            for (String[] h : held) {
                if (h[0].equals("warn")) {
                    target.warn(h[1]);
                } else {
                    target.note(h[1]);
                }
            }
            held.clear();
        }
    }

    /** Standard error; on a terminal the progress line is redrawn in place. */
    static Diagnostics stderr() {
        boolean terminal = System.console() != null;
        return new Diagnostics() {
            private boolean open;

            @Override
            public synchronized void note(String line) {
                System.err.println((open ? "\n" : "") + line);
                open = false;
            }

            @Override
            public synchronized void progress(String line, boolean last) {
                if (!terminal) {
                    note(line);
                    return;
                }
                System.err.print("\r" + line + (last ? "\n" : ""));
                System.err.flush();
                open = !last;
            }

            @Override
            public boolean redrawsProgress() {
                return terminal;
            }
        };
    }
}
