package org.medsa.core.io.pth;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.medsa.core.MedsaException;
import org.medsa.core.io.AtomicFiles;

/**
 * Writes checkpoints in PyTorch's zip format, readable by {@code torch.load} and by {@link
 * TorchCheckpoint}.
 *
 * <p>Values may be nested {@link Map}s (written as {@code OrderedDict} when they are {@link
 * OrderedMap}, else as dict), {@link List}s, {@link PyTuple}s, strings, integers, doubles,
 * booleans, null and {@link TensorData} (each tensor gets its own storage). The file is written
 * to a temporary sibling and moved into place, so a crash never leaves a half-written checkpoint.
 */
public final class TorchCheckpointWriter {

    /** Marker for maps to be pickled as {@code collections.OrderedDict} (state dicts). */
    public static final class OrderedMap extends LinkedHashMap<String, Object> {
        private static final long serialVersionUID = 1L;
    }

    /**
     * A tensor produced only when it is written, so a checkpoint larger than memory can be
     * written tensor by tensor.
     */
    public record LazyTensor(TorchDType dtype, long[] shape, Supplier<TensorData> values) {}

    private final ByteArrayOutputStream pkl = new ByteArrayOutputStream();
    private final ZipOutputStream zip;
    private final String archive;
    private int storages;

    private TorchCheckpointWriter(ZipOutputStream zip, String archive) {
        this.zip = zip;
        this.archive = archive;
    }

    /** Writes {@code root} to {@code file} atomically. */
    public static void write(Path file, Object root) throws IOException {
        String archive = archiveName(file);
        AtomicFiles.write(file, fos -> {
            try (ZipOutputStream zip = new ZipOutputStream(fos)) {
                zip.setLevel(0);
                // Tensor records are written while pickling (one tensor in memory at a time);
                // readers find data.pkl by name, so it may come after them.
                TorchCheckpointWriter w = new TorchCheckpointWriter(zip, archive);
                stored(zip, archive + "/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
                w.pkl.write(0x80);
                w.pkl.write(2);
                w.value(root);
                w.pkl.write('.');
                stored(zip, archive + "/data.pkl", w.pkl.toByteArray());
                stored(zip, archive + "/version", "3\n".getBytes(StandardCharsets.US_ASCII));
            }
        });
    }

    static String archiveName(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String stem = dot > 0 ? name.substring(0, dot) : name;
        String clean = stem.replaceAll("[^A-Za-z0-9_]", "_");
        return clean.isEmpty() ? "archive" : clean;
    }

    private static final LocalDateTime FIXED_TIME = LocalDateTime.of(2000, 1, 1, 0, 0);

    static void stored(ZipOutputStream zip, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        // a fixed time: the same state dict gives the same bytes (reproducible files, digests)
        e.setTimeLocal(FIXED_TIME);
        e.setSize(data.length);
        e.setCompressedSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        zip.putNextEntry(e);
        zip.write(data);
        zip.closeEntry();
    }

    // ---- pickle protocol 2 ----

    private void value(Object o) throws IOException {
        if (o == null) {
            pkl.write('N');
        } else if (o instanceof Boolean b) {
            pkl.write(b ? 0x88 : 0x89);
        } else if (o instanceof Integer || o instanceof Long || o instanceof Short || o instanceof Byte) {
            integer(((Number) o).longValue());
        } else if (o instanceof Float || o instanceof Double) {
            pkl.write('G');
            pkl.write(ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN).putDouble(((Number) o).doubleValue()).array());
        } else if (o instanceof String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            pkl.write('X');
            int4(b.length);
            pkl.write(b);
        } else if (o instanceof TensorData t) {
            tensor(t.dtype(), t.shape(), t);
        } else if (o instanceof LazyTensor t) {
            tensor(t.dtype(), t.shape(), null);
            TensorData d = t.values().get();
            if (d.dtype() != t.dtype() || !Arrays.equals(d.shape(), t.shape())) {
                throw new MedsaException("lazy tensor produced " + d + ", announced " + t.dtype() + " "
                        + Arrays.toString(t.shape()));
            }
            stored(zip, archive + "/data/" + (storages - 1), d.bytes());
        } else if (o instanceof OrderedMap m) {
            global("collections", "OrderedDict");
            pkl.write(')');
            pkl.write('R');
            items(m);
        } else if (o instanceof Map<?, ?> m) {
            pkl.write('}');
            items(m);
        } else if (o instanceof PyTuple t) {
            pkl.write('(');
            for (Object v : t.items()) {
                value(v);
            }
            pkl.write('t');
        } else if (o instanceof List<?> l) {
            pkl.write(']');
            if (!l.isEmpty()) {
                pkl.write('(');
                for (Object v : l) {
                    value(v);
                }
                pkl.write('e');
            }
        } else {
            throw new MedsaException("cannot pickle a " + o.getClass().getName());
        }
    }

    private void items(Map<?, ?> m) throws IOException {
        if (m.isEmpty()) {
            return;
        }
        int n = 0;
        pkl.write('(');
        for (Map.Entry<?, ?> e : m.entrySet()) {
            value(e.getKey());
            value(e.getValue());
            if (++n % 1000 == 0) {
                pkl.write('u');
                pkl.write('(');
            }
        }
        pkl.write('u');
    }

    /** Pickles a tensor record; writes its data now unless {@code data} is null (lazy). */
    private void tensor(TorchDType dtype, long[] shape, TensorData data) throws IOException {
        int key = storages++;
        if (data != null) {
            stored(zip, archive + "/data/" + key, data.bytes());
        }
        long numel = 1;
        for (long v : shape) {
            numel *= v;
        }
        long[] stride = new long[shape.length];
        long s = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            stride[d] = s;
            s *= shape[d];
        }
        global("torch._utils", "_rebuild_tensor_v2");
        pkl.write('(');
        // persistent id ('storage', <type>, key, location, numel)
        pkl.write('(');
        value("storage");
        global("torch", dtype.storageName());
        value(String.valueOf(key));
        value("cpu");
        integer(numel);
        pkl.write('t');
        pkl.write('Q');
        integer(0);
        longTuple(shape);
        longTuple(stride);
        pkl.write(0x89); // requires_grad False
        global("collections", "OrderedDict");
        pkl.write(')');
        pkl.write('R');
        pkl.write('t');
        pkl.write('R');
    }

    private void longTuple(long[] v) throws IOException {
        pkl.write('(');
        for (long x : v) {
            integer(x);
        }
        pkl.write('t');
    }

    private void global(String module, String name) throws IOException {
        pkl.write('c');
        pkl.write((module + "\n" + name + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    private void integer(long v) throws IOException {
        if (v >= 0 && v < 256) {
            pkl.write('K');
            pkl.write((int) v);
        } else if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
            pkl.write('J');
            int4((int) v);
        } else {
            pkl.write(0x8a);
            pkl.write(8);
            pkl.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(v).array());
        }
    }

    private void int4(int v) {
        pkl.write(v & 0xff);
        pkl.write((v >> 8) & 0xff);
        pkl.write((v >> 16) & 0xff);
        pkl.write((v >> 24) & 0xff);
    }
}
