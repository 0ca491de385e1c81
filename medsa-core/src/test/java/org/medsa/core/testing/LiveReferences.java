package org.medsa.core.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Assumptions;

/**
 * Which independent references ran live and which came from recordings. Each test JVM appends one
 * line per reference to {@code target/live-references.txt} of its module, which {@code .ci/run}
 * sums up. With {@code MEDSA_REQUIRE_LIVE=1} in the environment (CI, which installs every tool
 * named in {@code testdata/README.md}) a reference or a real-data test that cannot run live
 * fails instead of falling back to its recording or being skipped.
 */
public final class LiveReferences {

    private LiveReferences() {}

    /** True where every tool must be there (CI). */
    public static boolean required() {
        return "1".equals(System.getenv("MEDSA_REQUIRE_LIVE"));
    }

    /** Records how reference {@code name} ran; fails when it had to be live and was not. */
    static void note(String name, boolean live) {
        append((live ? "live " : "recorded ") + name);
        if (!live && required()) {
            fail(name + ": this reference must run live here (MEDSA_REQUIRE_LIVE=1), but python3 or a tool it needs is missing");
        }
    }

    /**
     * Skips a test whose tool or data is not installed ({@code what} says which), or fails it where
     * everything must be installed.
     */
    public static void assumeInstalled(boolean installed, String what) {
        append((installed ? "live " : "skipped ") + what);
        if (!installed && required()) {
            fail("needs " + what + ", which must be installed here (MEDSA_REQUIRE_LIVE=1)");
        }
        Assumptions.assumeTrue(installed, "needs " + what);
    }

    private static synchronized void append(String line) {
        Path f = Path.of("target", "live-references.txt");
        try {
            Files.createDirectories(f.getParent());
            Files.writeString(f, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
