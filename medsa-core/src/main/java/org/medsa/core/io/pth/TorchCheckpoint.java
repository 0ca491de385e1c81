package org.medsa.core.io.pth;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import org.medsa.core.MedsaException;

/**
 * A PyTorch checkpoint ({@code torch.save} output) read in pure Java: the zip format of
 * PyTorch ≥ 1.6 and the older non-zip ("legacy") format.
 *
 * <p>Opening parses only the pickled structure; tensor values are read one at a time by {@link
 * #read}, so a 2.5 GB ViT-H checkpoint never needs more memory than the tensors kept.
 */
public final class TorchCheckpoint implements AutoCloseable {

    /** First pickle of a legacy (non-zip) checkpoint. */
    private static final BigInteger LEGACY_MAGIC = new BigInteger("1950a86a20f9469cfc6c", 16);

    private final Path file;
    private final Object root;
    private final String format;
    private final ZipFile zip;
    private final String zipPrefix;
    private final boolean bigEndian;
    private final FileChannel channel;
    private final Map<String, long[]> legacyOffsets;

    private TorchCheckpoint(Path file, Object root, String format, ZipFile zip, String zipPrefix,
            boolean bigEndian, FileChannel channel, Map<String, long[]> legacyOffsets) {
        this.file = file;
        this.root = root;
        this.format = format;
        this.zip = zip;
        this.zipPrefix = zipPrefix;
        this.bigEndian = bigEndian;
        this.channel = channel;
        this.legacyOffsets = legacyOffsets;
    }

    /**
     * Opens a checkpoint and parses its structure.
     *
     * @throws MedsaException naming the file if it is missing, unreadable, truncated or not a
     *     PyTorch checkpoint
     */
    public static TorchCheckpoint open(Path file) {
        if (!Files.exists(file)) {
            throw new MedsaException(file + ": no such file");
        }
        if (Files.isDirectory(file)) {
            throw new MedsaException(file + ": is a directory, not a checkpoint file");
        }
        byte[] head = new byte[4];
        try (InputStream in = Files.newInputStream(file)) {
            int n = in.readNBytes(head, 0, 4);
            if (n < 2) {
                throw new MedsaException(file + ": file is empty or too short to be a PyTorch checkpoint");
            }
        } catch (NoSuchFileException e) {
            throw new MedsaException(file + ": no such file");
        } catch (IOException e) {
            throw new MedsaException(file + ": cannot read (" + e.getMessage() + ")");
        }
        try {
            if (head[0] == 'P' && head[1] == 'K') {
                return openZip(file);
            }
            if ((head[0] & 0xff) == 0x80) {
                return openLegacy(file);
            }
        } catch (MedsaException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new MedsaException(file + ": damaged PyTorch checkpoint (" + message(e) + ")", e);
        }
        throw new MedsaException(file + ": not a PyTorch checkpoint (expected a zip archive or a pickle stream)");
    }

    private static String message(Throwable e) {
        if (e instanceof EOFException) {
            return "file ends too early, it is probably truncated: " + e.getMessage();
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private static TorchCheckpoint openZip(Path file) throws IOException {
        ZipFile zip;
        try {
            zip = new ZipFile(file.toFile());
        } catch (ZipException e) {
            throw new MedsaException(file + ": damaged PyTorch checkpoint: the zip directory is unreadable"
                    + " (the file is probably truncated or not fully downloaded)");
        }
        try {
            String pklName = null;
            for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
                String name = en.nextElement().getName();
                if (name.endsWith("data.pkl") && (pklName == null || name.length() < pklName.length())) {
                    pklName = name;
                }
            }
            if (pklName == null) {
                throw new MedsaException(file + ": zip file without data.pkl, not a PyTorch checkpoint");
            }
            String prefix = pklName.substring(0, pklName.length() - "data.pkl".length());
            ZipEntry order = zip.getEntry(prefix + "byteorder");
            boolean big = order != null && new String(readEntry(zip, file, order)).trim().equals("big");
            byte[] pkl = readEntry(zip, file, zip.getEntry(pklName));
            Unpickler u = new Unpickler(ByteSource.of(pkl), TorchCheckpoint::storageFromPid);
            Object root = u.load();
            return new TorchCheckpoint(file, root, "zip", zip, prefix, big, null, null);
        } catch (IOException | RuntimeException e) {
            zip.close();
            throw e;
        }
    }

    private static TorchCheckpoint openLegacy(Path file) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        try {
            ByteSource in = ByteSource.of(ch, 0);
            Object magic = new Unpickler(in, pid -> pid).load();
            if (!LEGACY_MAGIC.equals(magic)) {
                throw new MedsaException(file + ": a pickle file, but not a PyTorch checkpoint (no torch magic number)");
            }
            new Unpickler(in, pid -> pid).load(); // protocol version
            new Unpickler(in, pid -> pid).load(); // sys_info
            Object root = new Unpickler(in, TorchCheckpoint::storageFromPid).load();
            Object keys = new Unpickler(in, pid -> pid).load();
            // Storage records follow in the order of `keys`: an int64 element count, then the data.
            Map<String, TorchDType> dtypes = new HashMap<>();
            collectStorages(root, dtypes);
            Map<String, long[]> offsets = new HashMap<>();
            long pos = in.position();
            ByteBuffer count = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            for (Object k : (List<?>) keys) {
                String key = String.valueOf(k);
                count.clear();
                while (count.hasRemaining()) {
                    if (ch.read(count, pos + count.position()) < 0) {
                        throw new EOFException("storage " + key + " is missing");
                    }
                }
                long numel = count.getLong(0);
                TorchDType dt = dtypes.get(key);
                if (dt == null) {
                    throw new IOException("storage " + key + " has no type");
                }
                offsets.put(key, new long[] {pos + 8, numel * dt.elementSize()});
                pos += 8 + numel * dt.elementSize();
                if (pos > ch.size()) {
                    throw new EOFException("storage " + key + " ends past the end of the file");
                }
            }
            return new TorchCheckpoint(file, root, "legacy", null, null, false, ch, offsets);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** persistent_load: ('storage', storage_type, key, location, numel[, view_metadata]). */
    private static Object storageFromPid(Object pid) {
        if (!(pid instanceof PyTuple t) || t.size() < 5 || !"storage".equals(t.get(0))) {
            throw new IllegalStateException("unsupported persistent record " + pid);
        }
        if (!(t.get(1) instanceof PyGlobal type)) {
            throw new IllegalStateException("storage without a type: " + pid);
        }
        TorchDType dtype = TorchDType.fromStorage(type);
        if (dtype == null) {
            throw new IllegalStateException("unsupported storage type " + type.fullName());
        }
        String key = String.valueOf(t.get(2));
        long numel = ((Number) t.get(4)).longValue();
        long viewOffset = 0;
        if (t.size() > 5 && t.get(5) instanceof PyTuple view && view.size() >= 2) {
            viewOffset = ((Number) view.get(1)).longValue();
        }
        return new TorchTensor.Storage(key, dtype, numel, viewOffset);
    }

    private static void collectStorages(Object o, Map<String, TorchDType> out) {
        if (o instanceof TorchTensor t) {
            out.put(t.storage().key(), t.dtype());
        } else if (o instanceof Map<?, ?> m) {
            m.values().forEach(v -> collectStorages(v, out));
        } else if (o instanceof List<?> l) {
            l.forEach(v -> collectStorages(v, out));
        } else if (o instanceof PyTuple t) {
            t.items().forEach(v -> collectStorages(v, out));
        } else if (o instanceof PyObject p) {
            collectStorages(p.args(), out);
            collectStorages(p.state(), out);
        }
    }

    private static byte[] readEntry(ZipFile zip, Path file, ZipEntry e) throws IOException {
        if (e.getSize() > Integer.MAX_VALUE - 8) {
            throw new MedsaException(file + ": record " + e.getName() + " is larger than 2 GB, which is not supported");
        }
        byte[] b;
        try (InputStream in = zip.getInputStream(e)) {
            b = in.readAllBytes();
        } catch (ZipException ze) {
            throw new MedsaException(file + ": damaged PyTorch checkpoint: record " + e.getName()
                    + " is unreadable (" + ze.getMessage() + ")");
        }
        if (e.getSize() >= 0 && b.length != e.getSize()) {
            throw new MedsaException(file + ": damaged PyTorch checkpoint: record " + e.getName() + " holds "
                    + b.length + " bytes, its header says " + e.getSize() + " (truncated file?)");
        }
        if (e.getCrc() >= 0) {
            CRC32 crc = new CRC32();
            crc.update(b);
            if (crc.getValue() != e.getCrc()) {
                throw new MedsaException(file + ": damaged PyTorch checkpoint: record " + e.getName()
                        + " fails its CRC check (corrupted file)");
            }
        }
        return b;
    }

    /** The checkpoint file. */
    public Path file() {
        return file;
    }

    /** "zip" or "legacy". */
    public String format() {
        return format;
    }

    /** The unpickled top-level object (see {@link Unpickler} for the type mapping). */
    public Object root() {
        return root;
    }

    /** Every tensor in the checkpoint, keyed by its path of dict keys / list indices joined by '.'. */
    public Map<String, TorchTensor> allTensors() {
        Map<String, TorchTensor> out = new LinkedHashMap<>();
        flatten("", root, out);
        return out;
    }

    private static void flatten(String path, Object o, Map<String, TorchTensor> out) {
        String p = path.isEmpty() ? "" : path + ".";
        if (o instanceof TorchTensor t) {
            out.put(path, t);
        } else if (o instanceof Map<?, ?> m) {
            m.forEach((k, v) -> flatten(p + k, v, out));
        } else if (o instanceof List<?> l) {
            for (int i = 0; i < l.size(); i++) {
                flatten(p + i, l.get(i), out);
            }
        } else if (o instanceof PyTuple t) {
            for (int i = 0; i < t.size(); i++) {
                flatten(p + i, t.get(i), out);
            }
        }
    }

    /**
     * The model weights: the top-level dict if it maps names to tensors, else the tensor dict
     * under {@code state_dict}, {@code model} or {@code model_state_dict} (training checkpoints).
     * A {@code module.} prefix that DataParallel adds to every key is removed.
     *
     * @throws MedsaException if no such dict exists
     */
    public Map<String, TorchTensor> stateDict() {
        Map<String, TorchTensor> sd = asTensorDict(root);
        if (sd == null && root instanceof Map<?, ?> m) {
            for (String key : List.of("state_dict", "model", "model_state_dict", "net")) {
                sd = asTensorDict(m.get(key));
                if (sd != null) {
                    break;
                }
            }
        }
        if (sd == null) {
            String what = root instanceof Map<?, ?> m ? "a dict with keys " + m.keySet()
                    : root instanceof PyObject p ? "a pickled " + p.type().fullName()
                            + " object (save model.state_dict() instead)"
                    : "a " + (root == null ? "None" : root.getClass().getSimpleName());
            throw new MedsaException(file + ": no state dict found: the checkpoint holds " + what);
        }
        boolean allPrefixed = !sd.isEmpty() && sd.keySet().stream().allMatch(k -> k.startsWith("module."));
        if (allPrefixed) {
            Map<String, TorchTensor> stripped = new LinkedHashMap<>();
            sd.forEach((k, v) -> stripped.put(k.substring("module.".length()), v));
            sd = stripped;
        }
        return sd;
    }

    private static Map<String, TorchTensor> asTensorDict(Object o) {
        if (!(o instanceof Map<?, ?> m) || m.isEmpty()) {
            return null;
        }
        Map<String, TorchTensor> out = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!(e.getKey() instanceof String k) || !(e.getValue() instanceof TorchTensor t)) {
                return null;
            }
            out.put(k, t);
        }
        return out;
    }

    /** Reads one tensor's values. */
    public TensorData read(TorchTensor t) {
        TorchTensor.Storage s = t.storage();
        int es = s.dtype().elementSize();
        try {
            byte[] storage;
            if (zip != null) {
                ZipEntry e = zip.getEntry(zipPrefix + "data/" + s.key());
                if (e == null) {
                    throw new MedsaException(file + ": damaged PyTorch checkpoint: storage record data/" + s.key()
                            + " is missing");
                }
                storage = readEntry(zip, file, e);
            } else {
                long[] record = legacyOffsets.get(s.key());
                if (record == null) {
                    throw new MedsaException(file + ": damaged PyTorch checkpoint: storage " + s.key() + " is missing");
                }
                storage = readChannel(record[0], record[1]);
            }
            byte[] out = t.gather(storage, s.elementOffset());
            if (bigEndian && es > 1) {
                swap(out, es);
            }
            return new TensorData(s.dtype(), t.shape(), out);
        } catch (MedsaException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new MedsaException(file + ": damaged PyTorch checkpoint (" + message(e) + ")", e);
        }
    }

    /**
     * Reads a tensor into an NDArray of type {@code target} owned by {@code manager}. Contiguous
     * tensors stream from the file into one reused native staging buffer, so loading a large
     * checkpoint allocates nothing per tensor on the Java heap; other layouts go through {@link
     * #read}.
     */
    public NDArray readNDArray(TorchTensor t, NDManager manager, DataType target) {
        TorchTensor.Storage s = t.storage();
        int es = s.dtype().elementSize();
        long start = (s.elementOffset() + t.storageOffset()) * es;
        long length = t.numel() * es;
        boolean streamable = t.isContiguous() && t.numel() > 0 && !bigEndian
                && NativeCopy.stagesDirectly(s.dtype().djlType()) && length < Integer.MAX_VALUE - 8
                && ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
        if (!streamable) {
            return read(t).toNDArray(manager, target);
        }
        Shape shape = new Shape(t.shape());
        try {
            ByteBuffer staging = NativeCopy.staging((int) length);
            staging.clear();
            if (zip != null) {
                ZipEntry e = zip.getEntry(zipPrefix + "data/" + s.key());
                if (e == null) {
                    throw new MedsaException(file + ": damaged PyTorch checkpoint: storage record data/" + s.key()
                            + " is missing");
                }
                streamEntry(e, start, staging);
            } else {
                long[] record = legacyOffsets.get(s.key());
                if (record == null) {
                    throw new MedsaException(file + ": damaged PyTorch checkpoint: storage " + s.key() + " is missing");
                }
                if (start + length > record[1]) {
                    throw new IOException("tensor reaches past the end of its storage");
                }
                while (staging.hasRemaining()) {
                    if (channel.read(staging, record[0] + start + staging.position()) < 0) {
                        throw new EOFException("storage ends past the end of the file");
                    }
                }
            }
            staging.flip();
            return NativeCopy.fromStaging(manager, staging, s.dtype().djlType(), shape, target);
        } catch (MedsaException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new MedsaException(file + ": damaged PyTorch checkpoint (" + message(e) + ")", e);
        }
    }

    /** Copies bytes [start, start + dst.remaining()) of a record into dst, checking the CRC of the whole record. */
    private void streamEntry(ZipEntry e, long start, ByteBuffer dst) throws IOException {
        long end = start + dst.remaining();
        if (e.getSize() >= 0 && e.getSize() < end) {
            throw new MedsaException(file + ": damaged PyTorch checkpoint: record " + e.getName() + " holds "
                    + e.getSize() + " bytes, the tensor needs " + end);
        }
        CRC32 crc = new CRC32();
        byte[] chunk = CHUNK.get();
        long pos = 0;
        try (InputStream in = zip.getInputStream(e)) {
            int n;
            while ((n = in.read(chunk)) > 0) {
                crc.update(chunk, 0, n);
                long a = Math.max(pos, start);
                long b = Math.min(pos + n, end);
                if (a < b) {
                    dst.put(chunk, (int) (a - pos), (int) (b - a));
                }
                pos += n;
            }
        } catch (ZipException ze) {
            throw new MedsaException(file + ": damaged PyTorch checkpoint: record " + e.getName()
                    + " is unreadable (" + ze.getMessage() + ")");
        }
        if (pos < end) {
            throw new MedsaException(file + ": damaged PyTorch checkpoint: record " + e.getName() + " ends after "
                    + pos + " bytes (truncated file?)");
        }
        if (e.getCrc() >= 0 && crc.getValue() != e.getCrc()) {
            throw new MedsaException(file + ": damaged PyTorch checkpoint: record " + e.getName()
                    + " fails its CRC check (corrupted file)");
        }
    }

    private static final ThreadLocal<byte[]> CHUNK = ThreadLocal.withInitial(() -> new byte[1 << 20]);

    private byte[] readChannel(long offset, long length) throws IOException {
        if (length > Integer.MAX_VALUE - 8) {
            throw new IOException("storage larger than 2 GB is not supported");
        }
        ByteBuffer b = ByteBuffer.allocate((int) length);
        while (b.hasRemaining()) {
            if (channel.read(b, offset + b.position()) < 0) {
                throw new EOFException("storage ends past the end of the file");
            }
        }
        return b.array();
    }

    private static void swap(byte[] b, int es) {
        for (int i = 0; i < b.length; i += es) {
            for (int j = 0; j < es / 2; j++) {
                byte tmp = b[i + j];
                b[i + j] = b[i + es - 1 - j];
                b[i + es - 1 - j] = tmp;
            }
        }
    }

    /** Frees the staging memory used to pass tensors to the engine on this thread. */
    public static void releaseStagingMemory() {
        NativeCopy.release();
    }

    @Override
    public void close() {
        try {
            if (zip != null) {
                zip.close();
            }
            if (channel != null) {
                channel.close();
            }
        } catch (IOException e) {
            // closing a read-only file: nothing to lose
        }
    }

    /** Lists the zip members (for diagnostics). */
    public List<String> zipMembers() {
        List<String> names = new ArrayList<>();
        if (zip != null) {
            zip.stream().forEach(e -> names.add(e.getName()));
        }
        return names;
    }
}
