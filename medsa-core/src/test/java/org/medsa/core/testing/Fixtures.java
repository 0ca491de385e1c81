package org.medsa.core.testing;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import org.medsa.core.io.Npy;
import org.medsa.core.io.pth.TensorData;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** Locates the shared golden fixtures ({@code ../shared/fixtures}) and reads them as they are. */
public final class Fixtures {

    private Fixtures() {}

    /** The fixtures root: {@code -Dmedsa.fixtures}, else the nearest {@code shared/fixtures} above. */
    public static Path root() {
        String prop = System.getProperty("medsa.fixtures");
        if (prop != null && Files.isDirectory(Paths.get(prop))) {
            return Paths.get(prop).toAbsolutePath().normalize();
        }
        Path dir = Paths.get("").toAbsolutePath();
        while (dir != null) {
            Path candidate = dir.resolve("shared").resolve("fixtures");
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException("fixtures not found: set -Dmedsa.fixtures=<path to shared/fixtures>");
    }

    public static Path path(String first, String... more) {
        return root().resolve(Paths.get(first, more));
    }

    public static TensorData npy(String first, String... more) {
        return Npy.read(path(first, more));
    }

    public static float[] floats(String first, String... more) {
        return npy(first, more).toFloatArray();
    }

    public static JsonElement json(String first, String... more) {
        try {
            return JsonParser.parseString(Files.readString(path(first, more)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
