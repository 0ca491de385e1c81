package org.medsa.server;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.medsa.core.Diagnostics;
import org.medsa.core.MedsaException;
import org.medsa.core.geometry.ImageFrame;
import org.medsa.core.io.AtomicFiles;
import org.medsa.core.io.Hashes;
import org.medsa.core.predictor.ImageEmbedding;

/**
 * Image embeddings by key: an in-memory LRU within a byte budget, and optionally a folder on disk,
 * so that reopening a scan or restarting the server does not run the encoder again. A key
 * ({@link #key}) covers everything the embedding depends on: the model (config, base weights,
 * adapter weights, input profile), the image content, the slicing axis, the slice and the intensity
 * mapping. Thread-safe.
 *
 * <p>Disk entries are one file per key ({@code <sha256>.emb}: a small header and the float32
 * values), written atomically; a damaged file is ignored and replaced.
 */
public final class EmbeddingCache {

    private static final int MAGIC = 0x4d534145; // "MSAE"
    private static final int VERSION = 1;

    private final long budgetBytes;
    private final Path dir;
    private final Diagnostics diagnostics;
    private final LinkedHashMap<String, ImageEmbedding> memory = new LinkedHashMap<>(64, 0.75f, true);
    private long bytes;
    private long hits;
    private long diskHits;
    private long misses;

    /**
     * @param budgetBytes the most bytes of embeddings kept in memory (0: none)
     * @param dir a folder for the disk cache, created if needed, or null for memory only
     * @param diagnostics where a failed disk write is reported (the embedding stays in memory)
     */
    public EmbeddingCache(long budgetBytes, Path dir, Diagnostics diagnostics) {
        if (budgetBytes < 0) {
            throw new MedsaException("cache budget must be >= 0, got " + budgetBytes);
        }
        this.diagnostics = diagnostics;
        this.budgetBytes = budgetBytes;
        this.dir = dir;
        if (dir != null) {
            try {
                Files.createDirectories(dir);
            } catch (IOException e) {
                throw new MedsaException(dir + ": cannot create the embedding cache folder (" + e.getMessage() + ")", e);
            }
        }
    }

    /** The key of one slice's embedding: a SHA-256 over the parts, in hex. */
    public static String key(String modelIdentity, String contentHash, String preprocessing, int axis, int slice) {
        return Hashes.sha256(modelIdentity + "|" + contentHash + "|" + preprocessing + "|" + axis + "|" + slice);
    }

    /** The embedding for {@code key}, from memory or disk, or null. */
    public ImageEmbedding get(String key) {
        synchronized (this) {
            ImageEmbedding e = memory.get(key);
            if (e != null) {
                hits++;
                return e;
            }
        }
        ImageEmbedding e = readDisk(key);
        synchronized (this) {
            if (e != null) {
                diskHits++;
                putMemory(key, e);
            } else {
                misses++;
            }
        }
        return e;
    }

    /** True if {@code key} is in memory or on disk (without counting a hit). */
    public boolean contains(String key) {
        synchronized (this) {
            if (memory.containsKey(key)) {
                return true;
            }
        }
        return dir != null && Files.isRegularFile(file(key));
    }

    /** Stores an embedding in memory (evicting the least recently used) and on disk. */
    public void put(String key, ImageEmbedding e) {
        synchronized (this) {
            putMemory(key, e);
        }
        writeDisk(key, e);
    }

    private void putMemory(String key, ImageEmbedding e) {
        ImageEmbedding old = memory.remove(key);
        if (old != null) {
            bytes -= old.bytes();
        }
        if (e.bytes() > budgetBytes) {
            return;
        }
        memory.put(key, e);
        bytes += e.bytes();
        Iterator<Map.Entry<String, ImageEmbedding>> it = memory.entrySet().iterator();
        while (bytes > budgetBytes && it.hasNext()) {
            Map.Entry<String, ImageEmbedding> oldest = it.next();
            bytes -= oldest.getValue().bytes();
            it.remove();
        }
    }

    /** Counts for the health report: entries and bytes in memory, hits, disk hits, misses. */
    public synchronized Map<String, Object> stats() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("entries", memory.size());
        m.put("bytes", bytes);
        m.put("budget_bytes", budgetBytes);
        m.put("hits", hits);
        m.put("disk_hits", diskHits);
        m.put("misses", misses);
        m.put("disk", dir == null ? null : dir.toString());
        return m;
    }

    private Path file(String key) {
        return dir.resolve(key + ".emb");
    }

    private ImageEmbedding readDisk(String key) {
        if (dir == null || !Files.isRegularFile(file(key))) {
            return null;
        }
        try (InputStream raw = Files.newInputStream(file(key)); DataInputStream in = new DataInputStream(raw)) {
            if (in.readInt() != MAGIC || in.readInt() != VERSION) {
                return null;
            }
            ImageFrame frame = new ImageFrame(in.readInt(), in.readInt(), in.readInt(), in.readInt(), in.readInt());
            long[] shape = new long[4];
            long n = 1;
            for (int i = 0; i < 4; i++) {
                shape[i] = in.readLong();
                n *= shape[i];
            }
            if (n <= 0 || n > Integer.MAX_VALUE / 4) {
                return null;
            }
            byte[] b = in.readNBytes((int) n * 4);
            if (b.length != n * 4) {
                return null;
            }
            float[] v = new float[(int) n];
            ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
            return new ImageEmbedding(frame, shape, v);
        } catch (IOException | RuntimeException e) {
            return null; // damaged: encode again and overwrite
        }
    }

    private void writeDisk(String key, ImageEmbedding e) {
        if (dir == null) {
            return;
        }
        try {
            AtomicFiles.write(file(key), raw -> {
                DataOutputStream out = new DataOutputStream(raw);
                out.writeInt(MAGIC);
                out.writeInt(VERSION);
                ImageFrame f = e.frame();
                out.writeInt(f.height());
                out.writeInt(f.width());
                out.writeInt(f.inputHeight());
                out.writeInt(f.inputWidth());
                out.writeInt(f.size());
                for (long s : e.shape()) {
                    out.writeLong(s);
                }
                ByteBuffer b = ByteBuffer.allocate(e.values().length * 4).order(ByteOrder.LITTLE_ENDIAN);
                b.asFloatBuffer().put(e.values());
                out.write(b.array());
                out.flush();
            });
        } catch (RuntimeException ex) {
            // a full disk must not fail the request: the embedding stays in memory
            diagnostics.warn("could not write the embedding cache in " + dir + " (" + ex.getMessage() + ")");
        }
    }
}
