package org.medsa.data.dicom;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes single-frame CT slices as DICOM Part 10 files, explicit VR little endian (with or without
 * preamble and meta information), for the series tests: just the attributes a reader of images
 * needs, in ascending tag order, values padded to even lengths.
 */
public final class DicomTestWriter {

    /** One slice: geometry (LPS), stored values and the rescale that turns them into HU. */
    public record Slice(String seriesUid, String description, int instance, double[] position, double[] orientation,
            double rowSpacing,
            double colSpacing, double thickness, int rows, int cols, short[] stored, double slope, double intercept) {}

    private DicomTestWriter() {}

    public static void write(Path file, Slice s, boolean withMeta) throws Exception {
        write(file, s, withMeta, false);
    }

    /**
     * Writes a slice; {@code rle} encodes the pixel data as RLE Lossless (two PackBits segments,
     * high bytes then low bytes, in one fragment), which needs the meta information.
     */
    public static void write(Path file, Slice s, boolean withMeta, boolean rle) throws Exception {
        write(file, s, withMeta, rle, Map.of());
    }

    /**
     * Writes a slice with extra text attributes ({@code tag -> {vr, value}}), e.g. the Frame of
     * Reference and the patient a DICOM SEG copies.
     */
    public static void write(Path file, Slice s, boolean withMeta, boolean rle, Map<Integer, String[]> extra) throws Exception {
        if (rle && !withMeta) {
            throw new IllegalArgumentException("an RLE file names its transfer syntax in the meta information");
        }
        String sopInstance = s.seriesUid() + "." + s.instance();
        Map<Integer, byte[]> ds = new TreeMap<>(Integer::compareUnsigned);
        Map<Integer, String> vr = new TreeMap<>(Integer::compareUnsigned);
        put(ds, vr, 0x00080016, "UI", ui("1.2.840.10008.5.1.4.1.1.2"));
        put(ds, vr, 0x00080018, "UI", ui(sopInstance));
        put(ds, vr, 0x00080060, "CS", text("CT"));
        put(ds, vr, 0x0008103E, "LO", text(s.description()));
        put(ds, vr, 0x00100010, "PN", text("Phantom^Test"));
        put(ds, vr, 0x00100020, "LO", text("MEDSA0001"));
        put(ds, vr, 0x00180050, "DS", text(num(s.thickness())));
        put(ds, vr, 0x0020000D, "UI", ui("1.2.826.0.1.3680043.10.511.1"));
        put(ds, vr, 0x0020000E, "UI", ui(s.seriesUid()));
        put(ds, vr, 0x00200013, "IS", text(Integer.toString(s.instance())));
        put(ds, vr, 0x00200032, "DS", text(nums(s.position())));
        put(ds, vr, 0x00200037, "DS", text(nums(s.orientation())));
        put(ds, vr, 0x00280002, "US", us(1));
        put(ds, vr, 0x00280004, "CS", text("MONOCHROME2"));
        put(ds, vr, 0x00280010, "US", us(s.rows()));
        put(ds, vr, 0x00280011, "US", us(s.cols()));
        put(ds, vr, 0x00280030, "DS", text(num(s.rowSpacing()) + "\\" + num(s.colSpacing())));
        put(ds, vr, 0x00280100, "US", us(16));
        put(ds, vr, 0x00280101, "US", us(16));
        put(ds, vr, 0x00280102, "US", us(15));
        put(ds, vr, 0x00280103, "US", us(1));
        put(ds, vr, 0x00281052, "DS", text(num(s.intercept())));
        put(ds, vr, 0x00281053, "DS", text(num(s.slope())));
        for (Map.Entry<Integer, String[]> e : extra.entrySet()) {
            String v = e.getValue()[0];
            put(ds, vr, e.getKey(), v, v.equals("UI") ? ui(e.getValue()[1]) : text(e.getValue()[1]));
        }
        ByteBuffer px = ByteBuffer.allocate(s.stored().length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (short v : s.stored()) {
            px.putShort(v);
        }
        if (rle) {
            put(ds, vr, 0x7FE00010, "OB", null); // written below as encapsulated fragments
        } else {
            put(ds, vr, 0x7FE00010, "OW", px.array());
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        if (withMeta) {
            out.write(new byte[128]);
            out.write("DICM".getBytes(StandardCharsets.US_ASCII));
            ByteArrayOutputStream meta = new ByteArrayOutputStream();
            element(meta, 0x00020001, "OB", new byte[] {0, 1});
            element(meta, 0x00020002, "UI", ui("1.2.840.10008.5.1.4.1.1.2"));
            element(meta, 0x00020003, "UI", ui(sopInstance));
            element(meta, 0x00020010, "UI", ui(rle ? "1.2.840.10008.1.2.5" : "1.2.840.10008.1.2.1"));
            element(meta, 0x00020012, "UI", ui("1.2.826.0.1.3680043.10.511.9"));
            element(out, 0x00020000, "UL", ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(meta.size()).array());
            meta.writeTo(out);
        }
        for (Map.Entry<Integer, byte[]> e : ds.entrySet()) {
            if (e.getValue() == null) {
                encapsulated(out, rleFrame(s.stored()));
            } else {
                element(out, e.getKey(), vr.get(e.getKey()), e.getValue());
            }
        }
        Files.write(file, out.toByteArray());
    }

    /** Pixel Data of undefined length: an empty offset table, one fragment, the delimiter. */
    private static void encapsulated(ByteArrayOutputStream out, byte[] fragment) {
        ByteBuffer b = ByteBuffer.allocate(12 + 8 + 8).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort((short) 0x7FE0).putShort((short) 0x0010).put("OB".getBytes(StandardCharsets.US_ASCII)).putShort((short) 0)
                .putInt(-1);
        b.putShort((short) 0xFFFE).putShort((short) 0xE000).putInt(0);
        b.putShort((short) 0xFFFE).putShort((short) 0xE000).putInt(fragment.length);
        out.write(b.array(), 0, b.capacity());
        out.write(fragment, 0, fragment.length);
        ByteBuffer d = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        d.putShort((short) 0xFFFE).putShort((short) 0xE0DD).putInt(0);
        out.write(d.array(), 0, 8);
    }

    /** An RLE Lossless frame of 16-bit samples: the 64-byte header, then high-byte and low-byte segments. */
    static byte[] rleFrame(short[] values) {
        byte[] hi = new byte[values.length];
        byte[] lo = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            hi[i] = (byte) (values[i] >> 8);
            lo[i] = (byte) values[i];
        }
        byte[] a = packBits(hi);
        byte[] b = packBits(lo);
        ByteBuffer h = ByteBuffer.allocate(64 + a.length + b.length).order(ByteOrder.LITTLE_ENDIAN);
        h.putInt(2).putInt(64).putInt(64 + a.length);
        h.position(64);
        h.put(a).put(b);
        return h.array();
    }

    /** PackBits, padded to an even length: runs of 2..128 equal bytes, literals of 1..128. */
    static byte[] packBits(byte[] in) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        while (i < in.length) {
            int run = 1;
            while (i + run < in.length && run < 128 && in[i + run] == in[i]) {
                run++;
            }
            if (run >= 2) {
                out.write(257 - run);
                out.write(in[i]);
                i += run;
                continue;
            }
            int start = i++;
            while (i < in.length && i - start < 128 && !(i + 1 < in.length && in[i] == in[i + 1])) {
                i++;
            }
            out.write(i - start - 1);
            out.write(in, start, i - start);
        }
        if (out.size() % 2 == 1) {
            out.write(0);
        }
        return out.toByteArray();
    }

    private static void put(Map<Integer, byte[]> ds, Map<Integer, String> vr, int tag, String v, byte[] value) {
        ds.put(tag, value);
        vr.put(tag, v);
    }

    private static void element(ByteArrayOutputStream out, int tag, String vr, byte[] value) {
        ByteBuffer b = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort((short) (tag >>> 16)).putShort((short) tag);
        b.put(vr.getBytes(StandardCharsets.US_ASCII));
        boolean longForm = vr.equals("OB") || vr.equals("OW") || vr.equals("SQ") || vr.equals("UN") || vr.equals("UT");
        if (longForm) {
            b.putShort((short) 0).putInt(value.length);
            out.write(b.array(), 0, 12);
        } else {
            b.putShort((short) value.length);
            out.write(b.array(), 0, 8);
        }
        out.write(value, 0, value.length);
    }

    private static byte[] ui(String uid) {
        byte[] b = uid.getBytes(StandardCharsets.US_ASCII);
        return b.length % 2 == 0 ? b : Arrays.copyOf(b, b.length + 1); // NUL padding
    }

    private static byte[] text(String s) {
        return (s.length() % 2 == 0 ? s : s + " ").getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] us(int v) {
        return ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort((short) v).array();
    }

    static String num(double v) {
        String s = String.format(Locale.ROOT, "%.10g", v).replaceAll("0+$", "").replaceAll("\\.$", "");
        return s.length() > 16 ? String.format(Locale.ROOT, "%.6g", v) : s;
    }

    private static String nums(double[] v) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < v.length; i++) {
            sb.append(i == 0 ? "" : "\\").append(num(v[i]));
        }
        return sb.toString();
    }
}
