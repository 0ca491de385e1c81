package org.medsa.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medsa.core.testing.Fixtures;

/** Bad input: a non-zero exit, one clear line naming the problem, and no stack trace. */
class CliErrorsTest {

    @TempDir
    Path tmp;

    private String[] predict(String... extra) {
        String[] base = {"predict", "--model", Fixtures.path("sam_tiny", "config.json").toString(),
            "--checkpoint", Fixtures.path("sam_tiny", "state_dict.pth").toString(),
            "--image", Fixtures.path("sam_tiny", "image.npy").toString(), "--out", tmp.resolve("o").toString()};
        String[] all = new String[base.length + extra.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return all;
    }

    private static String[] replace(String[] args, String flag, String value) {
        String[] a = args.clone();
        for (int i = 0; i < a.length - 1; i++) {
            if (a[i].equals(flag)) {
                a[i + 1] = value;
            }
        }
        return a;
    }

    private static CliRunner.Result fails(String[] args, String... expected) {
        CliRunner.Result r = CliRunner.run(args);
        assertNotEquals(0, r.exitCode(), "exit code; stderr: " + r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
        assertFalse(r.err().contains("Exception"), "no exception names: " + r.err());
        for (String e : expected) {
            assertTrue(r.err().contains(e), "expected '" + e + "' in: " + r.err());
        }
        return r;
    }

    @Test
    void serveRefusesBadSettingsBeforeStarting() throws Exception {
        fails(new String[] {"serve", "--model", "vit_b"}, "--model needs --checkpoint");
        fails(new String[] {"serve", "--port", "70000"}, "--port must be 0..65535, got 70000");
        fails(new String[] {"serve", "--data", tmp.resolve("missing").toString()}, "--data must be a folder");
        fails(new String[] {"serve", "--adapter-weights", "a.pth"}, "need --model and --checkpoint");
        Path taken = Files.writeString(tmp.resolve("f.txt"), "x");
        fails(new String[] {"serve", "--model", "vit_b", "--checkpoint", tmp.resolve("none.pth").toString(), "--data",
                taken.toString()},
                "--data must be a folder");
    }

    @Test
    void malformedArguments() {
        fails(predict("--point", "abc"), "--point expects 3 comma-separated numbers");
        fails(predict("--point", "1,2,5"), "must be 1 (foreground) or 0 (background), got 5");
        fails(predict("--box", "1,2,3"), "--box expects 4");
        fails(predict("--point", "1,x,1"), "'x'", "not a number");
        fails(predict(), "no prompt");
        fails(new String[] {"predict", "--image", "x.png"}, "Missing required option");
        fails(new String[] {"nosuchcommand"}, "Unmatched argument");
        fails(predict("--point", "10,10,1", "--device", "tpu"), "not a device");
    }

    @Test
    void missingAndBrokenFiles() throws Exception {
        fails(replace(predict("--point", "10,10,1"), "--checkpoint", tmp.resolve("none.pth").toString()),
                "none.pth: no such file");
        Path trunc = tmp.resolve("trunc.pth");
        byte[] all = Files.readAllBytes(Fixtures.path("sam_tiny", "state_dict.pth"));
        Files.write(trunc, Arrays.copyOf(all, 5000));
        fails(replace(predict("--point", "10,10,1"), "--checkpoint", trunc.toString()), "trunc.pth", "truncated");
        Path png = tmp.resolve("broken.png");
        Files.writeString(png, "nope");
        fails(replace(predict("--point", "10,10,1"), "--image", png.toString()), "broken.png",
                "not a PNG, JPEG, BMP or TIFF image");
        fails(replace(predict("--point", "10,10,1"), "--model", "vit_q"), "vit_q", "no such config file");
    }

    @Test
    void checkpointOfAnotherModel() {
        fails(replace(predict("--point", "10,10,1"), "--checkpoint", Fixtures.path("medsa_tiny", "state_dict.pth").toString()),
                "does not match the model config", "unexpected");
    }

    @Test
    void promptOutsideTheImage() {
        fails(predict("--point", "500,10,1"), "prompt outside the image");
        fails(predict("--box", "10,10,5,50"), "x0 <= x1");
        fails(predict("--mask-input", Fixtures.path("sam_tiny", "image.npy").toString(), "--point", "1,1,1"),
                "--mask-input must be float32");
    }

    @Test
    void verboseShowsTheStackTrace() {
        String[] a = replace(predict("--point", "10,10,1", "--verbose"), "--checkpoint", tmp.resolve("none.pth").toString());
        CliRunner.Result r = CliRunner.run(a);
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("\tat "), r.err());
    }
}
