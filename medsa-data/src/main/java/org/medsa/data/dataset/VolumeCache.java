package org.medsa.data.dataset;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.medsa.core.Diagnostics;
import org.medsa.core.MedsaException;
import org.medsa.core.io.AtomicFiles;
import org.medsa.core.io.Hashes;
import org.medsa.data.geometry.Affine;
import org.medsa.data.volume.Grid;
import org.medsa.data.volume.ImageVolume;
import org.medsa.data.volume.LabelVolume;
import org.medsa.data.volume.VolumePair;

/**
 * Keeps preprocessed cases so that an epoch does not decode gzip again.
 *
 * <ul>
 *   <li>In memory: least-recently-used cases up to a byte budget.
 *   <li>On disk (optional directory): one raw file per case, {@code <caseId>-<key>.vol}, where the
 *       key is a SHA-256 of the image and label paths, their sizes and modification times, the
 *       channel and the preprocessing pipeline's {@link
 *       org.medsa.data.transforms.VolumeTransform#cacheKey()}. Changing a file or the pipeline
 *       changes the key, so stale entries are never read (old files are simply left behind). The
 *       file holds little-endian float32 image and int32 labels after a small header; a file that
 *       cannot be read is recomputed.
 * </ul>
 */
final class VolumeCache {

    private static final byte[] MAGIC = "MEDSAVOL".getBytes(StandardCharsets.US_ASCII);
    private static final int FORMAT_VERSION = 1;

    private final Path directory;
    private final long memoryBudget;
    private final LinkedHashMap<String, PreparedCase> memory = new LinkedHashMap<>(16, 0.75f, true);
    private final Map<String, Object> loadLocks = new HashMap<>();
    private long memoryBytes;
    private final Diagnostics diagnostics;

    /**
     * @param directory where to keep raw files, or null for memory only
     * @param memoryBudget bytes of preprocessed volumes kept in memory
     */
    VolumeCache(Path directory, long memoryBudget, Diagnostics diagnostics) {
        this.diagnostics = diagnostics;
        this.directory = directory;
        this.memoryBudget = memoryBudget;
    }

    /** The cache key of a case under a pipeline (see class comment). */
    static String key(MsdCase c, int channel, String pipelineKey) {
        StringBuilder sb = new StringBuilder("v").append(FORMAT_VERSION);
        for (Path p : new Path[] {c.image(), c.label()}) {
            sb.append('|').append(p.toAbsolutePath().normalize());
            try {
                BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                sb.append('|').append(a.size()).append('|').append(a.lastModifiedTime().toMillis());
            } catch (IOException e) {
                sb.append("|missing");
            }
        }
        sb.append("|channel=").append(channel).append('|').append(pipelineKey);
        return Hashes.sha256(sb.toString());
    }

    /** The case from memory, else from disk, else from {@code loader} (then stored in both). */
    PreparedCase get(String caseId, String key, Supplier<PreparedCase> loader) {
        Object lock;
        synchronized (this) {
            PreparedCase hit = memory.get(key);
            if (hit != null) {
                return hit;
            }
            lock = loadLocks.computeIfAbsent(key, k -> new Object());
        }
        synchronized (lock) { // one thread loads a given case; others wait for it
            synchronized (this) {
                PreparedCase hit = memory.get(key);
                if (hit != null) {
                    return hit;
                }
            }
            PreparedCase loaded = directory == null ? null : readDisk(caseId, key);
            if (loaded == null) {
                loaded = loader.get();
                if (loaded == null) {
                    return null;
                }
                if (directory != null) {
                    writeDisk(loaded, key);
                }
            }
            put(key, loaded);
            return loaded;
        }
    }

    /** Drops everything held in memory (disk files stay). */
    synchronized void clearMemory() {
        memory.clear();
        memoryBytes = 0;
    }

    synchronized long memoryBytes() {
        return memoryBytes;
    }

    private synchronized void put(String key, PreparedCase c) {
        PreparedCase old = memory.put(key, c);
        if (old != null) {
            memoryBytes -= old.memoryBytes();
        }
        memoryBytes += c.memoryBytes();
        Iterator<Map.Entry<String, PreparedCase>> it = memory.entrySet().iterator();
        while (memoryBytes > memoryBudget && memory.size() > 1 && it.hasNext()) {
            Map.Entry<String, PreparedCase> eldest = it.next();
            if (eldest.getKey().equals(key)) {
                continue;
            }
            memoryBytes -= eldest.getValue().memoryBytes();
            it.remove();
        }
    }

    private Path file(String caseId, String key) {
        String safe = caseId.replaceAll("[^A-Za-z0-9._-]", "_");
        return directory.resolve(safe + "-" + key.substring(0, 16) + ".vol");
    }

    private PreparedCase readDisk(String caseId, String key) {
        Path f = file(caseId, key);
        if (!Files.isRegularFile(f)) {
            return null;
        }
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > Integer.MAX_VALUE) {
                return null;
            }
            ByteBuffer b = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining() && ch.read(b) >= 0) {
                // fill
            }
            b.flip();
            byte[] magic = new byte[MAGIC.length];
            b.get(magic);
            if (!Arrays.equals(magic, MAGIC) || b.getInt() != FORMAT_VERSION) {
                throw new IOException("not a cache file of this version");
            }
            byte[] storedKey = new byte[64];
            b.get(storedKey);
            if (!new String(storedKey, StandardCharsets.US_ASCII).equals(key)) {
                throw new IOException("key mismatch");
            }
            Grid grid = readGrid(b);
            Grid original = readGrid(b);
            boolean hasLabel = b.get() != 0;
            int n = grid.voxelCount();
            float[] image = new float[n];
            b.asFloatBuffer().get(image);
            b.position(b.position() + 4 * n);
            LabelVolume label = null;
            if (hasLabel) {
                int[] labels = new int[n];
                b.asIntBuffer().get(labels);
                label = new LabelVolume(grid, labels);
            }
            return new PreparedCase(caseId, new VolumePair(new ImageVolume(grid, image), label), original);
        } catch (IOException | RuntimeException e) {
            diagnostics.warn("ignoring unreadable cache file " + f + " (" + e.getMessage() + "); recomputing");
            return null;
        }
    }

    private void writeDisk(PreparedCase c, String key) {
        Path f = file(c.caseId(), key);
        VolumePair v = c.volumes();
        int n = v.grid().voxelCount();
        long total = MAGIC.length + 4 + 64 + 2 * (12 + 12 * 8) + 1 + 4L * n + (v.hasLabel() ? 4L * n : 0);
        if (total > Integer.MAX_VALUE) {
            diagnostics.warn(c.caseId() + ": too large for the disk cache; kept in memory only");
            return;
        }
        ByteBuffer b = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).putInt(FORMAT_VERSION).put(key.getBytes(StandardCharsets.US_ASCII));
        writeGrid(b, v.grid());
        writeGrid(b, c.originalGrid());
        b.put((byte) (v.hasLabel() ? 1 : 0));
        b.asFloatBuffer().put(v.image().data());
        b.position(b.position() + 4 * n);
        if (v.hasLabel()) {
            b.asIntBuffer().put(v.label().data());
        }
        try {
            AtomicFiles.write(f, out -> out.write(b.array()));
        } catch (MedsaException e) {
            diagnostics.warn(e.getMessage() + "; continuing without the volume cache");
        }
    }

    private static void writeGrid(ByteBuffer b, Grid g) {
        b.putInt(g.nx()).putInt(g.ny()).putInt(g.nz());
        for (int r = 0; r < 3; r++) {
            for (int col = 0; col < 4; col++) {
                b.putDouble(g.affine().get(r, col));
            }
        }
    }

    private static Grid readGrid(ByteBuffer b) {
        int nx = b.getInt(), ny = b.getInt(), nz = b.getInt();
        double[] m = new double[12];
        for (int i = 0; i < 12; i++) {
            m[i] = b.getDouble();
        }
        return new Grid(nx, ny, nz, Affine.ofRowMajor(m));
    }
}
