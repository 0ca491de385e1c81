package org.medsa.data.testutil;

import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs Debian's {@code /usr/bin/python3} with nibabel, numpy and PIL as an independent reference
 * reader. Scripts print one JSON document on stdout. A missing interpreter or module fails the
 * test with the packages to install (CI installs them), never skips it.
 */
public final class Python {

    public static final Path PYTHON = Path.of("/usr/bin/python3");
    private static volatile boolean checked;

    private Python() {}

    /** Fails unless python3 with nibabel, numpy and PIL is available. */
    public static void require() {
        if (checked) {
            return;
        }
        if (!Files.isExecutable(PYTHON)) {
            fail(PYTHON + " is missing: install the Debian packages python3-nibabel python3-pil");
        }
        String out = runRaw("import nibabel, numpy, PIL\nprint('ok')");
        if (!out.trim().equals("ok")) {
            fail("python3 cannot import nibabel/numpy/PIL: install python3-nibabel python3-pil");
        }
        checked = true;
    }

    /** Runs {@code script} with {@code args} (in sys.argv[1:]) and parses its stdout as JSON. */
    public static JsonElement json(String script, String... args) {
        require();
        return JsonParser.parseString(runRaw(script, args));
    }

    private static String runRaw(String script, String... args) {
        try {
            Path file = Files.createTempFile("medsa-ref", ".py");
            try {
                Files.writeString(file, script, StandardCharsets.UTF_8);
                List<String> cmd = new ArrayList<>();
                cmd.add(PYTHON.toString());
                cmd.add(file.toString());
                cmd.addAll(List.of(args));
                ProcessBuilder pb = new ProcessBuilder(cmd);
                pb.environment().remove("PYTHONPATH");
                pb.environment().put("PYTHONNOUSERSITE", "1");
                Path err = Files.createTempFile("medsa-ref", ".err");
                pb.redirectError(err.toFile());
                Process p = pb.start();
                byte[] stdout = p.getInputStream().readAllBytes();
                if (!p.waitFor(120, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    fail("reference python script timed out");
                }
                String stderr = Files.readString(err);
                Files.deleteIfExists(err);
                if (p.exitValue() != 0) {
                    fail("reference python script failed (exit " + p.exitValue() + "):\n" + stderr);
                }
                return new String(stdout, StandardCharsets.UTF_8);
            } finally {
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            fail("cannot run " + PYTHON + ": " + e.getMessage() + " (install python3-nibabel python3-pil)");
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            fail("interrupted");
            return null;
        }
    }
}
