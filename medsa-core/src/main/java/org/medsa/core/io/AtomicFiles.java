package org.medsa.core.io;

import java.io.BufferedOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
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
                lockIfPossible(channel);
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
     * Appends one record (one line of UTF-8 text) to a journal file: the line is written with one
     * call in append mode, so a crash can cut at most the last record, which readers of the journal
     * drop (a training run's metrics log is read that way). The cost does not grow with the file.
     *
     * @throws MedsaException naming the file and the reason
     */
    public static void appendRecord(Path file, String line) {
        byte[] bytes = (line.endsWith("\n") ? line : line + "\n").getBytes(StandardCharsets.UTF_8);
        try {
            Path parent = file.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            try (FileChannel c = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND)) {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) {
                    c.write(b);
                }
            }
        } catch (IOException e) {
            throw new MedsaException(file + ": cannot write (" + reason(e) + ")", e);
        }
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
            // a fresh name, created with the umask's permissions (createTempDirectory would make it owner-only)
            Path dir = abs.resolveSibling("." + abs.getFileName() + "." + Long.toUnsignedString(RANDOM.nextLong(), 36) + ".tmp");
            return Files.createDirectory(dir);
        } catch (IOException e) {
            throw new MedsaException(target + ": cannot create a folder beside it (" + reason(e) + ")", e);
        }
    }

    /** Writes a UTF-8 text file atomically. */
    public static void writeString(Path file, String text) {
        write(file, out -> out.write(text.getBytes(StandardCharsets.UTF_8)));
    }

    /**
     * Locks a temporary file against other processes' stale-file cleanup; file systems without locks
     * (some network mounts) write unlocked, guarded only within this JVM.
     */
    private static void lockIfPossible(FileChannel channel) {
        try {
            channel.lock();
        } catch (IOException e) {
            // no locks here ("No locks available"): the write goes on
        }
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
