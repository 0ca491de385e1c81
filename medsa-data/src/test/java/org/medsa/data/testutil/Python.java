package org.medsa.data.testutil;

import com.google.gson.JsonElement;
import java.nio.file.Path;
import java.util.List;
import org.medsa.core.testing.Reference;

/**
 * Debian's python3 with nibabel, numpy and PIL as an independent reference reader and writer,
 * through {@link Reference}: live where installed (CI installs them) and checked against the
 * recording in {@code testdata/references/}, the recording elsewhere.
 */
public final class Python {

    public static final List<String> MODULES = List.of("nibabel", "numpy", "PIL");

    private Python() {}

    /** What {@code script} prints for {@code args} (see {@link Reference#json}). */
    public static JsonElement json(String name, String script, String... args) {
        return Reference.json(name, script, MODULES, args);
    }

    /** The files {@code script} made in {@code dir}, and what it printed (see {@link Reference#inputs}). */
    public static JsonElement inputs(String name, String script, Path dir) {
        return Reference.inputs(name, script, MODULES, dir);
    }
}
