package org.medsa.core.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.medsa.core.MedsaException;

/** SHA-256 digests (hex) of files and strings: what model identities and caches are keyed by. */
public final class Hashes {

    /** File digests by path, size and modification time, so a large checkpoint is read once. */
    private static final Map<String, String> FILES = new ConcurrentHashMap<>();

    private Hashes() {}

    /**
     * The SHA-256 of a file's bytes, remembered while its size and modification time stay the same.
     *
     * @throws MedsaException if the file cannot be read
     */
    public static String sha256(Path file) {
        String key;
        try {
            key = file.toAbsolutePath().normalize() + "|" + Files.size(file) + "|" + Files.getLastModifiedTime(file).toMillis();
        } catch (IOException e) {
            throw new MedsaException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
        return FILES.computeIfAbsent(key, k -> digest(file));
    }

    private static String digest(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new MedsaException(file + ": cannot read (" + e.getMessage() + ")", e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The SHA-256 of a string's UTF-8 bytes. */
    public static String sha256(String s) {
        return digest().update(s).hex();
    }

    /** A SHA-256 over several parts (text, bytes, float values), for content keys. */
    public static Digest digest() {
        try {
            return new Digest(MessageDigest.getInstance("SHA-256"));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }

    /** A SHA-256 being computed; {@link #hex} ends it. */
    public static final class Digest {
        private final MessageDigest md;

        private Digest(MessageDigest md) {
            this.md = md;
        }

        /** Adds a string's UTF-8 bytes. */
        public Digest update(String s) {
            md.update(s.getBytes(StandardCharsets.UTF_8));
            return this;
        }

        /** Adds bytes. */
        public Digest update(byte[] bytes) {
            md.update(bytes);
            return this;
        }

        /** Adds float values as little-endian float32 bytes. */
        public Digest update(float[] values) {
            ByteBuffer b = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < values.length; ) {
                b.clear();
                for (; i < values.length && b.remaining() >= 4; i++) {
                    b.putFloat(values[i]);
                }
                md.update(b.array(), 0, b.position());
            }
            return this;
        }

        /** The digest in lower-case hex. */
        public String hex() {
            return HexFormat.of().formatHex(md.digest());
        }
    }
}
