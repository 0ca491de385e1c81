package org.medsa.core.io;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.Comparator;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.medsa.core.MedsaException;

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

    private static final SecureRandom RANDOM = new SecureRandom();

    /** The temporary files this JVM is writing. */
    private static final Set<Path> WRITING = ConcurrentHashMap.newKeySet();

    private AtomicFiles() {}

    /**
     * Writes {@code file} atomically, creating its folder. Concurrent writers of the same file (two
     * processes filling one cache) are safe: the last rename wins and each writer's temporary file
     * is locked until it is renamed, so no writer removes another's as stale.
     *
     * @throws MedsaException naming the file and the reason (e.g. "No space left on device")
     */
    public static void write(Path file, Content content) {
        Path target = file.toAbsolutePath();
        Path parent = target.getParent();
        Path tmp = null;
        Path written = null;
        try {
            Files.createDirectories(parent);
            if (Files.isDirectory(target)) {
                throw new MedsaException(file + ": is a folder, not a file name");
            }
            removeStale(target);
            // a fresh name, created with the umask's permissions (createTempFile would make it owner-only)
            tmp = parent.resolve("." + target.getFileName() + "." + Long.toUnsignedString(RANDOM.nextLong(), 36) + ".tmp");
            written = tmp;
            WRITING.add(written);
            // the lock lives as long as the channel; a writer that closes its stream only flushes it
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                channel.lock();
                OutputStream out = new BufferedOutputStream(new FilterOutputStream(Channels.newOutputStream(channel)) {
                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        this.out.write(b, off, len);
                    }

                    @Override
                    public void close() throws IOException {
                        flush();
                    }
                }, 1 << 16);
                content.writeTo(out);
                out.flush();
                try {
                    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
                }
                tmp = null;
            }
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
            if (written != null) {
                WRITING.remove(written);
            }
        }
    }

    /**
     * Appends UTF-8 text to a file atomically: the file is rewritten with the text added and renamed
     * over the old one, so a crash leaves either the old or the new content, never a cut line. For
     * logs of a few MB at most (a training run's metrics), where the copy costs nothing next to a
     * step.
     *
     * @throws MedsaException naming the file and the reason
     */
    public static void append(Path file, String text) {
        write(file, out -> {
            if (Files.isRegularFile(file)) {
                Files.copy(file, out);
            }
            out.write(text.getBytes(StandardCharsets.UTF_8));
        });
    }

    /**
     * Puts a finished folder in place of {@code target} (replacing an old one), so readers see the
     * old or the new folder and never a half-written one. {@code fresh} must be on the same file
     * system, best a sibling made with {@link #temporarySibling}.
     *
     * @throws MedsaException naming the target and the reason
     */
    public static void replaceFolder(Path fresh, Path target) {
        Path old = target.resolveSibling("." + target.getFileName() + ".old");
        try {
            deleteTree(old);
            if (Files.exists(target)) {
                Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(fresh, target, StandardCopyOption.ATOMIC_MOVE);
            deleteTree(old);
        } catch (IOException e) {
            throw new MedsaException(target + ": cannot replace (" + reason(e) + ")", e);
        }
    }

    /** A new empty folder beside {@code target} to fill and then {@link #replaceFolder} with. */
    public static Path temporarySibling(Path target) {
        Path abs = target.toAbsolutePath();
        try {
            Files.createDirectories(abs.getParent());
            return Files.createTempDirectory(abs.getParent(), "." + abs.getFileName() + ".");
        } catch (IOException e) {
            throw new MedsaException(target + ": cannot create a folder beside it (" + reason(e) + ")", e);
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

    /** Deletes temporary files of {@code target} that no writer holds (left by a killed process). */
    private static void removeStale(Path target) throws IOException {
        String pattern = "." + glob(target.getFileName().toString()) + ".*.tmp";
        try (DirectoryStream<Path> s = Files.newDirectoryStream(target.getParent(), pattern)) {
            for (Path p : s) {
                if (!inUse(p)) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static boolean inUse(Path tmp) {
        if (WRITING.contains(tmp.toAbsolutePath())) {
            // written by this JVM: not even opened, since closing any channel of a file drops the
            // process's locks on it (POSIX)
            return true;
        }
        try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.WRITE); FileLock lock = c.tryLock()) {
            return lock == null;
        } catch (OverlappingFileLockException e) {
            return true; // a writer in this JVM holds it
        } catch (IOException e) {
            return false; // gone, or not ours to judge: deleting is attempted and may fail quietly
        }
    }

    private static String glob(String name) {
        return name.replaceAll("([*?\\[\\]{}\\\\])", "\\\\$1");
    }

    /** A one-line reason: the file system's message without the exception's name. */
    public static String reason(IOException e) {
        if (e instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (e instanceof NoSuchFileException) {
            return "no such folder";
        }
        if (e instanceof FileSystemException fse && fse.getReason() != null) {
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
        if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> s = Files.walk(path)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }
}
