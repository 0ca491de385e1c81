package org.medsa.data.dicom;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.medsa.core.io.AtomicFiles;

/**
 * Writes DICOM Part 10 files in Explicit VR Little Endian: the 128-byte preamble, "DICM", the file
 * meta information, then a {@link Dataset} in ascending tag order with every length defined and
 * every value padded to an even length (UI with NUL, text with spaces, as PS3.5 says).
 */
public final class DicomWriter {

    /** Explicit VR Little Endian. */
    public static final String EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1";
    /** This library's implementation class UID (a UUID-derived UID, PS3.5 B.2). */
    public static final String IMPLEMENTATION_CLASS_UID = "2.25.161432537311720216424412089003839372633";
    /** The implementation version name written in the meta information. */
    public static final String IMPLEMENTATION_VERSION = "MEDSA_JAVA_01";

    /** VRs whose explicit length field is 4 bytes after two reserved bytes. */
    private static final Set<String> LONG_VRS = Set.of("OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT",
            "UV");

    private DicomWriter() {}

    /** A dataset being written: elements by tag. */
    public static final class Dataset {
        private final TreeMap<Integer, Object[]> elements = new TreeMap<>(Integer::compareUnsigned);

        /** A text element; several values are joined with backslashes. A null or empty value is written empty (type 2). */
        public Dataset text(int tag, String vr, String... values) {
            String v = values.length == 0 || values[0] == null ? "" : String.join("\\", values);
            elements.put(tag, new Object[] {vr, v.getBytes(vr.equals("UI") || isAscii(v) ? StandardCharsets.US_ASCII
                    : StandardCharsets.UTF_8)});
            return this;
        }

        /** Decimal strings (DS), each at most 16 characters. */
        public Dataset decimals(int tag, double... values) {
            String[] s = new String[values.length];
            for (int i = 0; i < values.length; i++) {
                s[i] = ds(values[i]);
            }
            return text(tag, "DS", s);
        }

        /** Unsigned shorts (US). */
        public Dataset us(int tag, int... values) {
            ByteBuffer b = ByteBuffer.allocate(2 * values.length).order(ByteOrder.LITTLE_ENDIAN);
            for (int v : values) {
                b.putShort((short) v);
            }
            elements.put(tag, new Object[] {"US", b.array()});
            return this;
        }

        /** Unsigned longs (UL). */
        public Dataset ul(int tag, long... values) {
            ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
            for (long v : values) {
                b.putInt((int) v);
            }
            elements.put(tag, new Object[] {"UL", b.array()});
            return this;
        }

        /** Attribute tags (AT). */
        public Dataset at(int tag, int... tags) {
            ByteBuffer b = ByteBuffer.allocate(4 * tags.length).order(ByteOrder.LITTLE_ENDIAN);
            for (int t : tags) {
                b.putShort((short) (t >>> 16)).putShort((short) t);
            }
            elements.put(tag, new Object[] {"AT", b.array()});
            return this;
        }

        /** Raw bytes with a VR (e.g. OB pixel data). */
        public Dataset bytes(int tag, String vr, byte[] value) {
            elements.put(tag, new Object[] {vr, value});
            return this;
        }

        /** A sequence of items. */
        public Dataset sequence(int tag, List<Dataset> items) {
            elements.put(tag, new Object[] {"SQ", new ArrayList<>(items)});
            return this;
        }

        /** A sequence of one item. */
        public Dataset sequence(int tag, Dataset item) {
            return sequence(tag, List.of(item));
        }

        /** The encoded elements (Explicit VR Little Endian, defined lengths). */
        public byte[] encode() {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (Map.Entry<Integer, Object[]> e : elements.entrySet()) {
                String vr = (String) e.getValue()[0];
                byte[] value;
                if (e.getValue()[1] instanceof List<?> items) {
                    ByteArrayOutputStream seq = new ByteArrayOutputStream();
                    for (Object item : items) {
                        byte[] body = ((Dataset) item).encode();
                        header(seq, 0xFFFEE000, null, body.length);
                        seq.write(body, 0, body.length);
                    }
                    value = seq.toByteArray();
                } else {
                    value = pad((byte[]) e.getValue()[1], vr);
                }
                header(out, e.getKey(), vr, value.length);
                out.write(value, 0, value.length);
            }
            return out.toByteArray();
        }

        private static boolean isAscii(String s) {
            return s.chars().allMatch(c -> c < 128);
        }
    }

    private static byte[] pad(byte[] v, String vr) {
        if (v.length % 2 == 0) {
            return v;
        }
        byte[] p = new byte[v.length + 1];
        System.arraycopy(v, 0, p, 0, v.length);
        p[v.length] = (byte) (vr.equals("UI") || vr.equals("OB") || vr.equals("UN") ? 0 : ' ');
        return p;
    }

    /** An element header; {@code vr} null for items (tag, length only). */
    private static void header(ByteArrayOutputStream out, int tag, String vr, int length) {
        ByteBuffer b = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort((short) (tag >>> 16)).putShort((short) tag);
        if (vr == null) {
            b.putInt(length);
        } else if (LONG_VRS.contains(vr)) {
            b.put(vr.getBytes(StandardCharsets.US_ASCII)).putShort((short) 0).putInt(length);
        } else {
            if (length > 0xFFFF) {
                throw new IllegalArgumentException("a " + vr + " value of " + length + " bytes does not fit a 16-bit length");
            }
            b.put(vr.getBytes(StandardCharsets.US_ASCII)).putShort((short) length);
        }
        out.write(b.array(), 0, b.position());
    }

    /**
     * Writes a Part 10 file atomically.
     *
     * @param sopClassUid the Media Storage SOP Class UID (the dataset's SOP Class UID)
     * @param sopInstanceUid the Media Storage SOP Instance UID (the dataset's SOP Instance UID)
     */
    public static void write(Path file, Dataset dataset, String sopClassUid, String sopInstanceUid) {
        Dataset meta = new Dataset()
                .bytes(0x00020001, "OB", new byte[] {0, 1})
                .text(0x00020002, "UI", sopClassUid)
                .text(0x00020003, "UI", sopInstanceUid)
                .text(0x00020010, "UI", EXPLICIT_VR_LITTLE_ENDIAN)
                .text(0x00020012, "UI", IMPLEMENTATION_CLASS_UID)
                .text(0x00020013, "SH", IMPLEMENTATION_VERSION);
        byte[] metaBytes = meta.encode();
        byte[] body = dataset.encode();
        AtomicFiles.write(file, out -> {
            out.write(new byte[128]);
            out.write("DICM".getBytes(StandardCharsets.US_ASCII));
            writeGroupLength(out, metaBytes.length);
            out.write(metaBytes);
            out.write(body);
        });
    }

    private static void writeGroupLength(OutputStream out, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        b.putShort((short) 0x0002).putShort((short) 0x0000).put("UL".getBytes(StandardCharsets.US_ASCII)).putShort((short) 4)
                .putInt(length);
        out.write(b.array());
    }

    /** A decimal string of at most 16 characters that is as close to {@code v} as that allows. */
    public static String ds(double v) {
        if (v == 0) {
            return "0";
        }
        for (int digits = 16; digits >= 1; digits--) {
            BigDecimal d = new BigDecimal(v).round(new MathContext(digits)).stripTrailingZeros();
            String plain = d.toPlainString();
            if (plain.length() <= 16) {
                return plain;
            }
            String sci = d.toString().replace("E+", "E");
            if (sci.length() <= 16) {
                return sci;
            }
        }
        return String.format(Locale.ROOT, "%.6E", v);
    }

    /** A new UID under 2.25 (PS3.5 B.2: a UUID as a decimal integer). */
    public static String newUid() {
        UUID u = UUID.randomUUID();
        return "2.25." + new BigInteger(1, ByteBuffer.allocate(16).putLong(u.getMostSignificantBits())
                .putLong(u.getLeastSignificantBits()).array());
    }
}
