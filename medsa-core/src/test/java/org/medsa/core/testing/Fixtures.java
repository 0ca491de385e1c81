package org.medsa.core.testing;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.medsa.core.io.Npy;
import org.medsa.core.io.pth.TensorData;

/**
 * The golden fixtures of the official implementations, as copied into {@code testdata/fixtures}
 * (never edited), read as they are.
 */
public final class Fixtures {

    private Fixtures() {}

    /** The fixtures root, {@code testdata/fixtures}. */
    public static Path root() {
        return TestData.path("fixtures");
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
