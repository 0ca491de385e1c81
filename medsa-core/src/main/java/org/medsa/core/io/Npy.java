package org.medsa.core.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.medsa.core.MedsaException;
import org.medsa.core.io.pth.TensorData;
import org.medsa.core.io.pth.TorchDType;

/** NumPy {@code .npy} files (format 1.0–3.0): read any common dtype, write from NDArrays. */
public final class Npy {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private Npy() {}

    /**
     * Reads a {@code .npy} file into a {@link TensorData} in C order, little-endian.
     *
     * @throws MedsaException naming the file if it is missing, truncated or not a supported npy
     */
    public static TensorData read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new MedsaException(file + ": no such file");
        }
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString());
        } catch (IOException e) {
            throw new MedsaException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    static TensorData read(InputStream in, String name) throws IOException {
        byte[] magic = in.readNBytes(8);
        if (magic.length < 8) {
            throw new MedsaException(name + ": not a .npy file (too short)");
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (magic[i] != MAGIC[i]) {
                throw new MedsaException(name + ": not a .npy file (bad magic)");
            }
        }
        int major = magic[6];
        int headerLen;
        if (major == 1) {
            byte[] l = in.readNBytes(2);
            headerLen = (l[0] & 0xff) | ((l[1] & 0xff) << 8);
        } else {
            byte[] l = in.readNBytes(4);
            headerLen = ByteBuffer.wrap(l).order(ByteOrder.LITTLE_ENDIAN).getInt();
        }
        String header = new String(in.readNBytes(headerLen), StandardCharsets.ISO_8859_1);
        Matcher d = DESCR.matcher(header);
        Matcher f = FORTRAN.matcher(header);
        Matcher s = SHAPE.matcher(header);
        if (!d.find() || !f.find() || !s.find()) {
            throw new MedsaException(name + ": .npy header is malformed: " + header.trim());
        }
        String descr = d.group(1);
        boolean fortran = f.group(1).equals("True");
        List<Long> dims = new ArrayList<>();
        for (String part : s.group(1).split(",")) {
            if (!part.isBlank()) {
                dims.add(Long.parseLong(part.trim()));
            }
        }
        long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
        TorchDType type = dtypeOf(descr, name);
        char order = descr.charAt(0);
        long n = 1;
        for (long v : shape) {
            n *= v;
        }
        long nbytes = n * type.elementSize();
        if (nbytes > Integer.MAX_VALUE - 8) {
            throw new MedsaException(name + ": array larger than 2 GB is not supported");
        }
        byte[] data = in.readNBytes((int) nbytes);
        if (data.length != nbytes) {
            throw new MedsaException(name + ": .npy data is truncated (" + data.length + " of " + nbytes + " bytes)");
        }
        int es = type.elementSize();
        if (order == '>' && es > 1) {
            for (int i = 0; i < data.length; i += es) {
                for (int j = 0; j < es / 2; j++) {
                    byte t = data[i + j];
                    data[i + j] = data[i + es - 1 - j];
                    data[i + es - 1 - j] = t;
                }
            }
        }
        if (fortran && shape.length > 1) {
            data = fortranToC(data, shape, es);
        }
        return new TensorData(type, shape, data);
    }

    private static byte[] fortranToC(byte[] src, long[] shape, int es) {
        int nd = shape.length;
        int n = src.length / es;
        byte[] out = new byte[src.length];
        int[] idx = new int[nd];
        for (int c = 0; c < n; c++) {
            // index in Fortran order of the element at C position c
            long fi = 0;
            long mul = 1;
            for (int d = 0; d < nd; d++) {
                fi += idx[d] * mul;
                mul *= shape[d];
            }
            System.arraycopy(src, (int) fi * es, out, c * es, es);
            for (int d = nd - 1; d >= 0; d--) {
                if (++idx[d] < shape[d]) {
                    break;
                }
                idx[d] = 0;
            }
        }
        return out;
    }

    private static TorchDType dtypeOf(String descr, String name) {
        String code = descr.length() > 1 ? descr.substring(1) : descr;
        switch (code) {
            case "f4": return TorchDType.FLOAT32;
            case "f8": return TorchDType.FLOAT64;
            case "f2": return TorchDType.FLOAT16;
            case "i8": return TorchDType.INT64;
            case "i4": return TorchDType.INT32;
            case "i2": return TorchDType.INT16;
            case "i1": return TorchDType.INT8;
            case "u1": return TorchDType.UINT8;
            case "b1": return TorchDType.BOOL;
            default:
                throw new MedsaException(name + ": .npy dtype '" + descr + "' is not supported"
                        + " (use float32/64/16, int8/16/32/64, uint8 or bool)");
        }
    }

    /** Reads a {@code .npy} file into an NDArray of its own dtype. */
    public static NDArray read(NDManager manager, Path file) {
        return read(file).toNDArray(manager);
    }

    /** Writes an NDArray (any device) as a {@code .npy} file. */
    public static void write(Path file, NDArray array) throws IOException {
        write(file, TensorData.of(array));
    }

    /** Writes tensor values as a {@code .npy} file (version 1.0). */
    public static void write(Path file, TensorData data) throws IOException {
        AtomicFiles.write(file, out -> write(out, data));
    }

    static void write(OutputStream out, TensorData data) throws IOException {
        StringBuilder shape = new StringBuilder("(");
        long[] s = data.shape();
        for (int i = 0; i < s.length; i++) {
            shape.append(s[i]);
            if (s.length == 1 || i < s.length - 1) {
                shape.append(",");
                if (i < s.length - 1) {
                    shape.append(" ");
                }
            }
        }
        shape.append(")");
        String header = "{'descr': '" + descrOf(data.dtype()) + "', 'fortran_order': False, 'shape': " + shape + ", }";
        int total = MAGIC.length + 2 + 2 + header.length() + 1;
        int pad = (64 - total % 64) % 64;
        header = header + " ".repeat(pad) + "\n";
        ByteArrayOutputStream h = new ByteArrayOutputStream();
        h.write(MAGIC);
        h.write(1);
        h.write(0);
        h.write(header.length() & 0xff);
        h.write((header.length() >> 8) & 0xff);
        h.write(header.getBytes(StandardCharsets.ISO_8859_1));
        out.write(h.toByteArray());
        out.write(data.bytes());
    }

    private static String descrOf(TorchDType t) {
        switch (t) {
            case FLOAT32: return "<f4";
            case FLOAT64: return "<f8";
            case FLOAT16: return "<f2";
            case INT64: return "<i8";
            case INT32: return "<i4";
            case INT16: return "<i2";
            case INT8: return "|i1";
            case UINT8: return "|u1";
            case BOOL: return "|b1";
            default: throw new MedsaException("cannot write " + t + " to .npy");
        }
    }

    /** Convenience: writes float32 values of the given shape. */
    public static void writeFloats(Path file, float[] values, long... shape) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        write(file, new TensorData(TorchDType.FLOAT32, shape, b.array()));
    }

    /** The DJL type of a npy dtype, for callers that check inputs. */
    public static DataType djlType(TensorData t) {
        return t.dtype().djlType();
    }
}
