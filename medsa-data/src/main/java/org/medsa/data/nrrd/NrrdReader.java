package org.medsa.data.nrrd;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.medsa.core.MedsaException;
import org.medsa.data.geometry.Affine;
import org.medsa.data.nifti.NiftiDatatype;
import org.medsa.data.nifti.NiftiHeader;
import org.medsa.data.nifti.NiftiHeaders;
import org.medsa.data.nifti.NiftiImage;
import org.medsa.data.volume.Grid;

/**
 * Reads NRRD files with an attached header ({@code .nrrd}, as 3D Slicer saves volumes and
 * labelmaps) as a {@link NiftiImage}: the stored values unchanged (int8 .. uint64, float, double)
 * and the affine converted to RAS from the header's {@code space}, {@code space directions} and
 * {@code space origin} (LPS in Slicer's files), so a volume and its NIfTI export put every voxel
 * at the same world coordinates.
 *
 * <p>Encodings raw, gzip and ascii; either byte order; {@code byte skip} and {@code line skip}.
 * Two- and three-dimensional images only; a header without {@code space directions} gives an
 * axis-aligned grid from {@code spacings} (1 mm where absent). Detached headers ({@code data
 * file}) and bzip2 are refused with one line, as is every inconsistency between the header and
 * the data (too few or too many bytes).
 */
public final class NrrdReader {

    private static final Pattern VECTOR = Pattern.compile("\\(([^)]*)\\)|none");

    private NrrdReader() {}

    /**
     * Reads a file; errors name {@code displayName}.
     *
     * @throws MedsaException naming the file and what is wrong
     */
    public static NiftiImage read(Path path, String displayName) {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(path), 1 << 16)) {
            return read(in, displayName);
        } catch (NoSuchFileException e) {
            throw new MedsaException(displayName + ": no such file");
        } catch (IOException e) {
            throw new MedsaException(displayName + ": cannot be read (" + e.getMessage() + ")", e);
        }
    }

    /** Reads an NRRD stream (header, then data); errors name {@code name}. */
    public static NiftiImage read(InputStream in, String name) throws IOException {
        Map<String, String> fields = header(in, name);
        NiftiDatatype type = NrrdFormat.TYPES.get(required(fields, "type", name).toLowerCase(Locale.ROOT));
        if (type == null) {
            throw new MedsaException(name + ": NRRD type '" + fields.get("type") + "' is not a number type this library reads");
        }
        int dimension = integer(required(fields, "dimension", name), "dimension", name);
        if (dimension < 2 || dimension > 3) {
            throw new MedsaException(name + ": a " + dimension + "-dimensional NRRD; only 2D and 3D images are read"
                    + (dimension == 4 ? " (a .seg.nrrd with overlapping segments has 4: save it as a labelmap)" : ""));
        }
        long[] sizes = longs(required(fields, "sizes", name), dimension, "sizes", name);
        int[] shape = {1, 1, 1};
        long voxels = 1;
        for (int a = 0; a < dimension; a++) {
            if (sizes[a] < 1 || sizes[a] > Integer.MAX_VALUE) {
                throw new MedsaException(name + ": sizes " + fields.get("sizes") + " are not positive");
            }
            shape[a] = (int) sizes[a];
            voxels *= sizes[a];
        }
        if (voxels * type.bytes() > Integer.MAX_VALUE - 8) {
            throw new MedsaException(name + ": " + voxels + " voxels of " + type.bytes() + " bytes exceed what one array holds");
        }
        if (fields.containsKey("data file") || fields.containsKey("datafile")) {
            throw new MedsaException(name + ": a detached NRRD header (data file: " + fields.getOrDefault("data file",
                    fields.get("datafile")) + "); save the volume as one .nrrd file");
        }
        Affine affine = affine(fields, dimension, name);
        ByteOrder order = byteOrder(fields, type, name);
        byte[] data = data(in, fields, type, (int) voxels, name);
        if (order == ByteOrder.BIG_ENDIAN) {
            swap(data, type.bytes());
        }
        String content = fields.getOrDefault("content", "");
        NiftiHeader h = NiftiHeaders.forGrid(new Grid(shape[0], shape[1], shape[2], affine), type)
                .byteOrder(ByteOrder.LITTLE_ENDIAN).description(content.length() > 79 ? "" : content).build();
        return NiftiImage.fromStored(h, data, name);
    }

    /** The header's fields (lower-case keys; key:=value pairs and comments are skipped), up to the blank line. */
    static Map<String, String> header(InputStream in, String name) throws IOException {
        String magic = line(in, name);
        if (magic == null || !magic.matches("NRRD000[1-9]")) {
            throw new MedsaException(name + ": not an NRRD file (it does not start with NRRD000<n>)");
        }
        Map<String, String> fields = new LinkedHashMap<>();
        for (String l; (l = line(in, name)) != null && !l.isEmpty(); ) {
            if (l.startsWith("#") || l.contains(":=")) {
                continue;
            }
            int colon = l.indexOf(": ");
            if (colon <= 0) {
                throw new MedsaException(name + ": NRRD header line '" + l + "' is not 'field: value'");
            }
            fields.put(l.substring(0, colon).trim().toLowerCase(Locale.ROOT), l.substring(colon + 2).trim());
        }
        return fields;
    }

    /** One header line without its line ending, or null at the end of the stream. */
    private static String line(InputStream in, String name) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (int c; ; ) {
            c = in.read();
            if (c < 0) {
                return b.size() == 0 ? null : b.toString(StandardCharsets.ISO_8859_1);
            }
            if (c == '\n') {
                break;
            }
            if (b.size() > 1 << 20) {
                throw new MedsaException(name + ": an NRRD header line longer than 1 MiB; not an NRRD file");
            }
            b.write(c);
        }
        String s = b.toString(StandardCharsets.ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    /** The RAS affine: space directions and origin in the named frame, or spacings when there is no frame. */
    private static Affine affine(Map<String, String> f, int dimension, String name) {
        double[][] rows = new double[4][4];
        rows[3][3] = 1;
        String directions = f.get("space directions");
        if (directions == null) {
            double[] sp = {1, 1, 1};
            if (f.containsKey("spacings")) {
                String[] parts = f.get("spacings").trim().split("\\s+");
                for (int a = 0; a < Math.min(parts.length, dimension); a++) {
                    double v = number(parts[a], "spacings", name);
                    sp[a] = Double.isNaN(v) ? 1 : Math.abs(v);
                }
            }
            for (int a = 0; a < 3; a++) {
                rows[a][a] = sp[a];
            }
            return Affine.of(rows);
        }
        String space = f.get("space");
        double[] sign;
        if (space != null) {
            sign = NrrdFormat.toRas(space);
            if (sign == null) {
                throw new MedsaException(name + ": NRRD space '" + space + "' is not a patient frame this library places"
                        + " (left-posterior-superior, right-anterior-superior, left-anterior-superior)");
            }
        } else if ("3".equals(f.get("space dimension"))) {
            sign = new double[] {1, 1, 1};
        } else {
            throw new MedsaException(name + ": 'space directions' without 'space' or 'space dimension: 3'");
        }
        Matcher m = VECTOR.matcher(directions);
        int axis = 0;
        while (m.find()) {
            if (axis >= dimension) {
                throw new MedsaException(name + ": 'space directions' has more than " + dimension + " entries");
            }
            if (m.group(1) == null) {
                throw new MedsaException(name + ": 'space directions' says none for axis " + axis
                        + "; a non-spatial axis (vectors, lists, time) is not read");
            }
            double[] v = vector(m.group(1), "space directions", name);
            for (int r = 0; r < 3; r++) {
                rows[r][axis] = sign[r] * v[r];
            }
            axis++;
        }
        if (axis != dimension) {
            throw new MedsaException(name + ": 'space directions' has " + axis + " entries for " + dimension + " axes");
        }
        if (dimension == 2) { // the missing third axis: the unit normal of the plane
            double[] c = {rows[1][0] * rows[2][1] - rows[2][0] * rows[1][1], rows[2][0] * rows[0][1] - rows[0][0] * rows[2][1],
                rows[0][0] * rows[1][1] - rows[1][0] * rows[0][1]};
            double n = Math.sqrt(c[0] * c[0] + c[1] * c[1] + c[2] * c[2]);
            for (int r = 0; r < 3; r++) {
                rows[r][2] = n > 0 ? c[r] / n : (r == 2 ? 1 : 0);
            }
        }
        if (f.containsKey("space origin")) {
            Matcher o = VECTOR.matcher(f.get("space origin"));
            if (!o.find() || o.group(1) == null) {
                throw new MedsaException(name + ": 'space origin' " + f.get("space origin") + " is not (x,y,z)");
            }
            double[] v = vector(o.group(1), "space origin", name);
            for (int r = 0; r < 3; r++) {
                rows[r][3] = sign[r] * v[r];
            }
        }
        Affine a = Affine.of(rows);
        if (!(Math.abs(a.determinant()) > 0)) {
            throw new MedsaException(name + ": 'space directions' " + directions + " do not span space (a degenerate grid)");
        }
        return a;
    }

    private static ByteOrder byteOrder(Map<String, String> f, NiftiDatatype type, String name) {
        String e = f.get("endian");
        if (e == null) {
            String enc = f.getOrDefault("encoding", "").toLowerCase(Locale.ROOT);
            if (type.bytes() > 1 && !enc.equals("ascii") && !enc.equals("text") && !enc.equals("txt")) {
                throw new MedsaException(name + ": 'endian' is missing; " + type.bytes() + "-byte values need it");
            }
            return ByteOrder.LITTLE_ENDIAN;
        }
        return switch (e.toLowerCase(Locale.ROOT)) {
            case "little" -> ByteOrder.LITTLE_ENDIAN;
            case "big" -> ByteOrder.BIG_ENDIAN;
            default -> throw new MedsaException(name + ": endian '" + e + "' is neither little nor big");
        };
    }

    /** The voxel bytes in {@code order}, exactly as many as the header describes. */
    private static byte[] data(InputStream in, Map<String, String> f, NiftiDatatype type, int voxels, String name)
            throws IOException {
        int lineSkip = f.containsKey("line skip") ? integer(f.get("line skip"), "line skip", name) : 0;
        for (int i = 0; i < lineSkip; i++) {
            if (line(in, name) == null) {
                throw new MedsaException(name + ": the file ends within 'line skip'");
            }
        }
        long byteSkip = f.containsKey("byte skip") ? integer(f.get("byte skip"), "byte skip", name) : 0;
        String encoding = required(f, "encoding", name).toLowerCase(Locale.ROOT);
        int n = voxels * type.bytes();
        switch (encoding) {
            case "raw": {
                byte[] all = in.readAllBytes();
                if (byteSkip == -1) { // the data are the last bytes of the file
                    if (all.length < n) {
                        throw new MedsaException(name + ": " + all.length + " bytes after the header, fewer than the " + n
                                + " the sizes and type need");
                    }
                    return Arrays.copyOfRange(all, all.length - n, all.length);
                }
                return exact(all, byteSkip, n, name);
            }
            case "gzip":
            case "gz": {
                byte[] all;
                try (InputStream z = new GZIPInputStream(in, 1 << 16)) {
                    all = z.readAllBytes();
                } catch (ZipException | EOFException e) {
                    throw new MedsaException(name + ": the gzip data are damaged or cut short (" + e.getMessage() + ")");
                }
                return exact(all, byteSkip, n, name);
            }
            case "ascii":
            case "text":
            case "txt":
                return ascii(in, type, voxels, name);
            default:
                throw new MedsaException(name + ": NRRD encoding '" + encoding + "' is not read (raw, gzip or ascii)");
        }
    }

    private static byte[] exact(byte[] all, long skip, int n, String name) {
        if (skip < 0 || skip > all.length) {
            throw new MedsaException(name + ": 'byte skip' " + skip + " is outside the " + all.length + " data bytes");
        }
        long have = all.length - skip;
        if (have != n) {
            throw new MedsaException(name + ": " + have + " bytes of voxel data where the sizes and type need " + n
                    + (have < n ? " (a truncated file?)" : " (sizes or type do not match the data)"));
        }
        return skip == 0 ? all : Arrays.copyOfRange(all, (int) skip, all.length);
    }

    /** ASCII data: whitespace- or comma-separated numbers, stored little-endian in {@code type}. */
    private static byte[] ascii(InputStream in, NiftiDatatype type, int voxels, String name) throws IOException {
        String[] tokens = new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim().split("[\\s,]+");
        if (tokens.length != voxels || (voxels > 0 && tokens[0].isEmpty())) {
            throw new MedsaException(name + ": " + (tokens[0].isEmpty() ? 0 : tokens.length) + " ascii values where the sizes"
                    + " need " + voxels);
        }
        double[] v = new double[voxels];
        for (int i = 0; i < voxels; i++) {
            v[i] = number(tokens[i], "data", name);
        }
        NiftiHeader h = NiftiHeaders.forGrid(new Grid(voxels, 1, 1, Affine.identity()), type).byteOrder(ByteOrder.LITTLE_ENDIAN)
                .build();
        ByteArrayOutputStream out = new ByteArrayOutputStream(voxels * type.bytes());
        NiftiImage.create(h, v, name).voxels().writeTo(out);
        return out.toByteArray();
    }

    private static void swap(byte[] b, int width) {
        for (int i = 0; i + width <= b.length; i += width) {
            for (int x = 0, y = width - 1; x < y; x++, y--) {
                byte t = b[i + x];
                b[i + x] = b[i + y];
                b[i + y] = t;
            }
        }
    }

    private static String required(Map<String, String> f, String key, String name) {
        String v = f.get(key);
        if (v == null || v.isEmpty()) {
            throw new MedsaException(name + ": the NRRD header has no '" + key + "' field");
        }
        return v;
    }

    private static int integer(String s, String field, String name) {
        try {
            return Integer.parseInt(s.trim());
        } catch (NumberFormatException e) {
            throw new MedsaException(name + ": NRRD '" + field + "' must be a whole number, got '" + s + "'");
        }
    }

    private static long[] longs(String s, int n, String field, String name) {
        String[] parts = s.trim().split("\\s+");
        if (parts.length != n) {
            throw new MedsaException(name + ": NRRD '" + field + "' has " + parts.length + " values for dimension " + n);
        }
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            try {
                out[i] = Long.parseLong(parts[i]);
            } catch (NumberFormatException e) {
                throw new MedsaException(name + ": NRRD '" + field + "' must be whole numbers, got '" + s + "'");
            }
        }
        return out;
    }

    private static double[] vector(String inner, String field, String name) {
        String[] parts = inner.split(",");
        if (parts.length != 3) {
            throw new MedsaException(name + ": NRRD '" + field + "' vector (" + inner + ") does not have 3 components");
        }
        double[] v = new double[3];
        for (int i = 0; i < 3; i++) {
            v[i] = number(parts[i], field, name);
            if (!Double.isFinite(v[i])) {
                throw new MedsaException(name + ": NRRD '" + field + "' (" + inner + ") is not finite");
            }
        }
        return v;
    }

    private static double number(String s, String field, String name) {
        String t = s.trim();
        try {
            return t.equalsIgnoreCase("nan") ? Double.NaN : Double.parseDouble(t);
        } catch (NumberFormatException e) {
            throw new MedsaException(name + ": NRRD '" + field + "' holds '" + t + "', not a number");
        }
    }
}
