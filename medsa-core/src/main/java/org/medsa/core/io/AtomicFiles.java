package org.medsa.core.io;

import org.medsa.core.MedsaException;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Every output of the library is written here: into a temporary file beside the target
 * ({@code .<name>.<random>.tmp}), then renamed over it, so a reader never sees half a file and a
 * killed or failed write (disk full) leaves the previous file untouched. Temporary files left by
 * a killed process are removed by the next write of the same target.
 */
public final class AtomicFiles {

    /** Writes the content of a file. */
    @FunctionalInterface
    public interface Content {
        /**
         * Writes the whole content to {@code out}, a buffered stream into the temporary file that
         * {@link AtomicFiles#write} closes.
         */
        void writeTo(OutputStream out) throws IOException;
    }

    private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();

    private AtomicFiles() {}

    /**
     * Writes {@code file} atomically, creating its folder.
     *
     * @throws MedsaException naming the file and the reason (e.g. "No space left on device")
     */
    public static void write(Path file, Content content) {
        Path target = file.toAbsolutePath();
        Path parent = target.getParent();
        Path tmp = null;
        try {
            Files.createDirectories(parent);
            if (Files.isDirectory(target)) {
                throw new MedsaException(file + ": is a folder, not a file name");
            }
            removeStale(target);
            // a fresh name, created with the umask's permissions (createTempFile would make it owner-only)
            tmp = parent.resolve("." + target.getFileName() + "." + Long.toUnsignedString(RANDOM.nextLong(), 36) + ".tmp");
            try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE), 1 << 16)) {
                content.writeTo(out);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
        } catch (IOException e) {
            throw new MedsaException(file + ": cannot write (" + reason(e) + ")", e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the original error matters more
                }
            }
        }
    }

    /** Writes a UTF-8 text file atomically. */
    public static void writeString(Path file, String text) {
        write(file, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }

    /** The temporary file names a write of {@code target} uses (for tests and cleanup). */
    public static boolean isTemporaryOf(Path candidate, Path target) {
        String n = candidate.getFileName().toString();
        return n.startsWith("." + target.getFileName() + ".") && n.endsWith(".tmp");
    }

    private static void removeStale(Path target) throws IOException {
        try (DirectoryStream<Path> s = Files.newDirectoryStream(target.getParent(), "." + glob(target.getFileName().toString()) + ".*.tmp")) {
            for (Path p : s) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static String glob(String name) {
        return name.replaceAll("([*?\\[\\]{}\\\\])", "\\\\$1");
    }

    /** A one-line reason: the file system's message without the exception's name. */
    public static String reason(IOException e) {
        if (e instanceof java.nio.file.AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof java.nio.file.NoSuchFileException) {
            return "no such folder";
        }
        if (e instanceof java.nio.file.FileSystemException fse && fse.getReason() != null) {
            return fse.getReason();
        }
        String m = e.getMessage();
        return m == null ? "input/output error" : m;
    }

    /**
     * Deletes a file or a folder with everything in it (children first); nothing happens when it
     * does not exist.
     *
     * @throws IOException if something cannot be deleted
     */
    public static void deleteTree(Path path) throws IOException {
        if (!Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (java.util.stream.Stream<Path> s = Files.walk(path)) {
            for (Path p : (Iterable<Path>) s.sorted(java.util.Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }
}
