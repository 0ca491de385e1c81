package org.medsa.server;

import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.medsa.core.MedsaException;
import org.medsa.core.io.AtomicFiles;

/**
 * Receives uploaded files: streamed to a private temporary folder with a size limit (413 beyond
 * it), under a sanitised file name whose extension tells the format. Also hands out temporary
 * folders for files the server sends back; all of them go when the server closes.
 */
final class UploadReceiver implements AutoCloseable {

    /**
     * How much of a refused upload is read and discarded before answering 413: a client (a browser's
     * fetch) sends the whole body before it reads the answer, and a connection closed under it
     * shows as a broken pipe instead of the error. Larger bodies are cut off.
     */
    static final long DRAIN_LIMIT = 64L << 20;

    private final long maxBytes;
    private final Path root;

    UploadReceiver(long maxBytes) {
        this.maxBytes = maxBytes;
        try {
            this.root = Files.createTempDirectory("medsa-uploads");
        } catch (IOException e) {
            throw new MedsaException("cannot create a folder for uploads (" + AtomicFiles.reason(e) + ")", e);
        }
    }

    /**
     * The file name an upload is stored under: the last part of {@code name}.
     *
     * @throws MedsaException for a missing, hidden or unusable name
     */
    static String fileName(String name) {
        if (name == null || name.isBlank()) {
            throw new MedsaException("an upload needs ?name=<file name> (its extension tells the format, e.g. ct.nii.gz)");
        }
        Path last = Path.of(name.replace('\\', '/')).getFileName();
        String base = last == null ? "" : last.toString();
        if (base.isEmpty() || base.startsWith(".") || base.indexOf('\0') >= 0) {
            throw new MedsaException("upload name '" + name + "' is not a usable file name");
        }
        return base;
    }

    /** A new empty temporary folder (for one upload or one download); {@link #delete} removes it. */
    Path newFolder(String prefix) throws IOException {
        return Files.createTempDirectory(root, prefix);
    }

    /**
     * Streams the request body into {@code file}.
     *
     * @throws ApiException 413 beyond the size limit
     * @throws MedsaException for an empty upload
     */
    void receive(Context ctx, Path file) throws IOException {
        long declared = ctx.req().getContentLengthLong();
        if (declared > maxBytes) {
            if (declared <= DRAIN_LIMIT) {
                drain(ctx.bodyInputStream(), DRAIN_LIMIT);
            }
            throw new ApiException(413, "upload of " + declared + " bytes exceeds the limit of " + maxBytes + " bytes");
        }
        long total = 0;
        try (InputStream in = ctx.bodyInputStream(); OutputStream out = Files.newOutputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                total += n;
                if (total > maxBytes) {
                    drain(in, DRAIN_LIMIT - total);
                    throw new ApiException(413, "upload exceeds the limit of " + maxBytes + " bytes");
                }
                out.write(buf, 0, n);
            }
        }
        if (total == 0) {
            throw new MedsaException("the upload is empty");
        }
    }

    /** Reads and discards up to {@code limit} bytes of {@code in}. */
    private static void drain(InputStream in, long limit) throws IOException {
        byte[] buf = new byte[1 << 16];
        for (long left = limit; left > 0; ) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (n <= 0) {
                return;
            }
            left -= n;
        }
    }

    /** Deletes a temporary folder; a leftover goes with the system's temporary folder. */
    static void delete(Path dir) {
        try {
            AtomicFiles.deleteTree(dir);
        } catch (IOException ignored) {
            // nothing to tell the client: its request succeeded or failed on its own
        }
    }

    @Override
    public void close() {
        delete(root);
    }
}
