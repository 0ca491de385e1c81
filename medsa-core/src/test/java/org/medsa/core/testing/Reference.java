package org.medsa.core.testing;

import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * Reference values from independent implementations (nibabel, Pillow, PyTorch, torchvision, pydicom, dcm2niix),
 * recorded in {@code testdata/references/} so that every check runs on a machine with only a JDK
 * and Maven (see {@code testdata/README.md}).
 *
 * <ul>
 *   <li>{@link #json}: what a Python script says about some inputs. Where Debian's {@code python3}
 *       with the script's modules is installed (CI installs them), the script runs live, its output
 *       is what the test uses, and it must agree with the recording (a stale recording fails);
 *       elsewhere the recording is used.
 *   <li>{@link #inputs}: files a Python script made once (e.g. PNGs written by Pillow), copied
 *       from the recording into a test folder.
 * </ul>
 *
 * Paths given as arguments are recorded as {@code $ARG0}, {@code $ARG1}, ... Run the tests with
 * {@code -Dmedsa.record=true} (and the Python packages installed) to write or refresh recordings.
 */
public final class Reference {

    public static final Path PYTHON = Path.of("/usr/bin/python3");
    private static final Map<String, Boolean> AVAILABLE = new ConcurrentHashMap<>();

    private Reference() {}

    /** True when {@code -Dmedsa.record=true}: recordings are (re)written from live runs. */
    public static boolean recording() {
        return Boolean.getBoolean("medsa.record");
    }

    /** True if {@code /usr/bin/python3} can import every module. */
    public static boolean pythonHas(String... modules) {
        String key = String.join(",", modules);
        return AVAILABLE.computeIfAbsent(key, k -> {
            if (!Files.isExecutable(PYTHON)) {
                return false;
            }
            try {
                return run("import " + k + "\nprint('ok')").trim().equals("ok");
            } catch (RuntimeException e) {
                return false;
            }
        });
    }

    /**
     * The JSON the script prints for {@code args}: live when python3 has {@code modules} (checked
     * against the recording {@code testdata/references/<name>.json}), else the recording.
     */
    public static JsonElement json(String name, String script, List<String> modules, String... args) {
        return json(name, script, modules, true, args);
    }

    /**
     * As {@link #json(String, String, List, String...)}, run live only when {@code toolsPresent}
     * too (e.g. a program the script calls is installed).
     */
    public static JsonElement json(String name, String script, List<String> modules, boolean toolsPresent, String... args) {
        Path recorded = TestData.path("references", name + ".json");
        boolean live = toolsPresent && pythonHas(modules.toArray(new String[0]));
        checkInputDigests(name, args, live);
        LiveReferences.note(name, live);
        if (!live) {
            if (!Files.isRegularFile(recorded)) {
                fail("no recorded reference " + recorded + " and no python3 with " + modules + " to compute it");
            }
            return JsonParser.parseString(substitute(read(recorded), args, false));
        }
        String out = run(script, args);
        JsonElement liveJson = JsonParser.parseString(out);
        String generic = substitute(out, args, true);
        if (recording()) {
            write(recorded, JsonParser.parseString(generic).toString());
        } else if (!Files.isRegularFile(recorded)) {
            fail("no recorded reference " + recorded + ": run the tests with -Dmedsa.record=true to record it");
        } else {
            JsonElement rec = JsonParser.parseString(substitute(read(recorded), args, false));
            String diff = difference(rec, liveJson, "");
            if (diff != null) {
                fail("recorded reference " + recorded + " is stale (" + diff + "): re-record with -Dmedsa.record=true");
            }
        }
        return liveJson;
    }

    /**
     * Copies the files a Python script made (recorded under {@code testdata/references/<name>/})
     * into {@code dir}, and returns what the script printed. With {@code -Dmedsa.record=true} the
     * script runs (argument: {@code dir}) and its files and output are recorded.
     */
    public static JsonElement inputs(String name, String script, List<String> modules, Path dir) {
        Path recorded = TestData.path("references", name);
        try {
            Files.createDirectories(dir);
            if (recording()) {
                if (!pythonHas(modules.toArray(new String[0]))) {
                    fail("recording " + name + " needs python3 with " + modules);
                }
                String out = run(script, dir.toString());
                deleteTree(recorded);
                Files.createDirectories(recorded.resolve("files"));
                try (Stream<Path> s = Files.walk(dir)) {
                    for (Path p : s.filter(Files::isRegularFile).toList()) {
                        Path target = recorded.resolve("files").resolve(dir.relativize(p).toString());
                        Files.createDirectories(target.getParent());
                        Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
                write(recorded.resolve("output.json"),
                        JsonParser.parseString(substitute(out, new String[] {dir.toString()}, true)).toString());
                return JsonParser.parseString(out);
            }
            if (!Files.isDirectory(recorded.resolve("files"))) {
                fail("no recorded inputs " + recorded + ": run the tests with -Dmedsa.record=true (python3 with " + modules
                        + ")");
            }
            Path files = recorded.resolve("files");
            try (Stream<Path> s = Files.walk(files)) {
                for (Path p : s.filter(Files::isRegularFile).toList()) {
                    Path target = dir.resolve(files.relativize(p).toString());
                    Files.createDirectories(target.getParent());
                    Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
            return JsonParser.parseString(substitute(read(recorded.resolve("output.json")), new String[] {dir.toString()},
                    false));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** True when {@code -Dmedsa.record.digests=true}: the digests of the files given to live scripts are (re)written. */
    static boolean recordingDigests() {
        return recording() || Boolean.getBoolean("medsa.record.digests");
    }

    /**
     * The files (and folders) a script is given are the files the test wrote: their SHA-256 are
     * recorded beside the recording ({@code <name>.inputs.json}), so that without python3 a test
     * still shows that it wrote the very bytes the independent implementation once read, not only
     * that its values in memory match the recorded ones. With python3 the digests must match too
     * (a changed writer needs a new recording).
     */
    private static void checkInputDigests(String name, String[] args, boolean live) {
        JsonObject now = new JsonObject();
        for (int i = 0; i < args.length; i++) {
            Path p = Path.of(args[i]);
            if (Files.exists(p)) {
                now.addProperty("$ARG" + i + "$", digest(p));
            }
        }
        if (now.size() == 0) {
            return;
        }
        Path recorded = TestData.path("references", name + ".inputs.json");
        if (live && recordingDigests()) {
            write(recorded, now.toString());
            return;
        }
        if (!Files.isRegularFile(recorded)) {
            fail("no recorded digests of the files given to " + name + " (" + recorded + "): run the tests with"
                    + " -Dmedsa.record.digests=true where python3 has the script's modules");
        }
        JsonObject want = JsonParser.parseString(read(recorded)).getAsJsonObject();
        for (String k : now.keySet()) {
            if (!want.has(k) || !want.get(k).getAsString().equals(now.get(k).getAsString())) {
                fail(name + ": the file written as " + k + " (" + args[Integer.parseInt(k.substring(4, k.length() - 1))]
                        + ") is not the one the recorded reference read (SHA-256 " + now.get(k).getAsString() + ", recorded "
                        + (want.has(k) ? want.get(k).getAsString() : "none") + ")");
            }
        }
    }

    /**
     * SHA-256 of a file, or of a folder's files (relative names and contents, in name order). A
     * gzip file counts by what it holds: its compressed bytes depend on the zlib the JDK was built
     * with, the written values do not.
     */
    static String digest(Path p) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.walk(p)) {
                    for (Path f : s.filter(Files::isRegularFile).sorted().toList()) {
                        md.update(p.relativize(f).toString().replace('\\', '/').getBytes(StandardCharsets.UTF_8));
                        md.update((byte) 0);
                        md.update(content(f));
                    }
                }
            } else {
                md.update(content(p));
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] content(Path f) throws IOException {
        if (!f.getFileName().toString().endsWith(".gz")) {
            return Files.readAllBytes(f);
        }
        try (GZIPInputStream in = new GZIPInputStream(Files.newInputStream(f))) {
            return in.readAllBytes();
        }
    }

    /** Replaces argument strings by $ARGi placeholders ({@code toPlaceholders}) or back. */
    private static String substitute(String text, String[] args, boolean toPlaceholders) {
        // longest first, so that a path is not cut by an argument that is its prefix
        Integer[] order = new Integer[args.length];
        for (int i = 0; i < args.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingInt((Integer i) -> -args[i].length()));
        String s = text;
        for (int i : order) {
            String placeholder = "$ARG" + i + "$";
            String value = args[i];
            s = toPlaceholders ? s.replace(value, placeholder) : s.replace(placeholder, value);
        }
        return s;
    }

    /** A description of the first place two JSON documents differ (numbers within 1e-9 relative), or null. */
    static String difference(JsonElement a, JsonElement b, String where) {
        if (a.isJsonObject() && b.isJsonObject()) {
            JsonObject x = a.getAsJsonObject();
            JsonObject y = b.getAsJsonObject();
            if (!x.keySet().equals(y.keySet())) {
                return where + ": keys " + x.keySet() + " vs " + y.keySet();
            }
            for (String k : x.keySet()) {
                String d = difference(x.get(k), y.get(k), where + "." + k);
                if (d != null) {
                    return d;
                }
            }
            return null;
        }
        if (a.isJsonArray() && b.isJsonArray()) {
            JsonArray x = a.getAsJsonArray();
            JsonArray y = b.getAsJsonArray();
            if (x.size() != y.size()) {
                return where + ": " + x.size() + " vs " + y.size() + " elements";
            }
            for (int i = 0; i < x.size(); i++) {
                String d = difference(x.get(i), y.get(i), where + "[" + i + "]");
                if (d != null) {
                    return d;
                }
            }
            return null;
        }
        if (a.isJsonPrimitive() && b.isJsonPrimitive()) {
            JsonPrimitive x = a.getAsJsonPrimitive();
            JsonPrimitive y = b.getAsJsonPrimitive();
            if (x.isNumber() && y.isNumber()) {
                double u = x.getAsDouble();
                double v = y.getAsDouble();
                return Math.abs(u - v) <= 1e-9 * Math.max(1, Math.max(Math.abs(u), Math.abs(v))) ? null
                        : where + ": " + u + " vs " + v;
            }
            return x.equals(y) ? null : where + ": " + x + " vs " + y;
        }
        return a.equals(b) ? null : where + ": " + a + " vs " + b;
    }

    /** Runs a script with arguments (sys.argv[1:]) and returns its stdout. */
    public static String run(String script, String... args) {
        try {
            Path file = Files.createTempFile("medsa-ref", ".py");
            Path err = Files.createTempFile("medsa-ref", ".err");
            try {
                Files.writeString(file, script, StandardCharsets.UTF_8);
                List<String> cmd = new ArrayList<>();
                cmd.add(PYTHON.toString());
                cmd.add(file.toString());
                cmd.addAll(List.of(args));
                ProcessBuilder pb = new ProcessBuilder(cmd);
                pb.environment().remove("PYTHONPATH");
                pb.environment().put("PYTHONNOUSERSITE", "1");
                pb.redirectError(err.toFile());
                Process p = pb.start();
                byte[] stdout = p.getInputStream().readAllBytes();
                if (!p.waitFor(300, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IllegalStateException("reference python script timed out");
                }
                if (p.exitValue() != 0) {
                    throw new IllegalStateException("reference python script failed (exit " + p.exitValue() + "):\n"
                            + Files.readString(err));
                }
                return new String(stdout, StandardCharsets.UTF_8);
            } finally {
                Files.deleteIfExists(file);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Path p, String text) {
        try {
            Files.createDirectories(p.getParent());
            Files.writeString(p, text + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
    }
}
