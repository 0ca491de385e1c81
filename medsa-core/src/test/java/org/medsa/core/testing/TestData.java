package org.medsa.core.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * The repository's {@code testdata/} folder (see its README): the official fixtures and the
 * recorded reference values. Found by walking up from the working directory, so tests run from
 * any module, from Maven or an IDE, with nothing outside the repository.
 */
public final class TestData {

    private static volatile Path root;

    private TestData() {}

    /** The {@code testdata/} folder of this checkout. */
    public static Path root() {
        Path r = root;
        if (r != null) {
            return r;
        }
        Path dir = Paths.get("").toAbsolutePath();
        while (dir != null) {
            Path candidate = dir.resolve("testdata");
            if (Files.isRegularFile(candidate.resolve("README.md"))) {
                root = candidate;
                return candidate;
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException("testdata/ not found above " + Paths.get("").toAbsolutePath()
                + ": run the tests inside a checkout of the repository");
    }

    public static Path path(String first, String... more) {
        return root().resolve(Paths.get(first, more));
    }
}
