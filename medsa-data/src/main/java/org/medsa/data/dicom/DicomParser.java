package org.medsa.data.dicom;

import java.io.ByteArrayOutputStream;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;
import org.medsa.core.MedsaException;

/**
 * Parses DICOM Part 10 files (128-byte preamble and "DICM", then the file meta information) and
 * files without a preamble or meta information (whose encoding is recognised from the first
 * element). Explicit and implicit VR little endian, explicit VR big endian and deflated explicit
 * VR little endian; sequences and items of defined and undefined length; encapsulated pixel data
 * as fragments. Every length is checked against the bytes that remain, so a damaged file fails
 * with a message naming the file, the element and the offset.
 */
final class DicomParser {

    /** VRs with a 2-byte reserved field and a 4-byte length in explicit VR. */
    private static final Set<String> LONG_VRS = Set.of("OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT",
            "UV");
    private static final int UNDEFINED = -1;
    private static final int MAX_DEPTH = 32;

    private final byte[] b;
    private final String name;
    private final boolean explicitVr;
    private final ByteOrder order;

    private DicomParser(byte[] bytes, String name, boolean explicitVr, ByteOrder order) {
        this.b = bytes;
        this.name = name;
        this.explicitVr = explicitVr;
        this.order = order;
    }

    /** A parsed file: its dataset and the transfer syntax of its body. */
    record Parsed(DicomDataset dataset, TransferSyntax syntax, boolean hadMeta) {}

    static Parsed parse(byte[] bytes, String name) {
        int pos;
        boolean meta;
        if (bytes.length >= 132 && bytes[128] == 'D' && bytes[129] == 'I' && bytes[130] == 'C' && bytes[131] == 'M') {
            pos = 132;
            meta = true;
        } else if (bytes.length >= 4 && bytes[0] == 'D' && bytes[1] == 'I' && bytes[2] == 'C' && bytes[3] == 'M') {
            pos = 4;
            meta = true;
        } else {
            pos = 0;
            meta = false;
        }
        if (bytes.length - pos < 8) {
            throw new MedsaException(name + ": not a DICOM file (" + bytes.length + " bytes)");
        }
        String uid = null;
        DicomDataset metaSet = null;
        if (meta || group(bytes, pos, ByteOrder.LITTLE_ENDIAN) == 0x0002) {
            // the file meta information: always explicit VR little endian
            DicomParser mp = new DicomParser(bytes, name, true, ByteOrder.LITTLE_ENDIAN);
            metaSet = new DicomDataset(ByteOrder.LITTLE_ENDIAN);
            pos = mp.readElements(metaSet, pos, bytes.length, 0, true);
            uid = metaSet.string(Tags.TRANSFER_SYNTAX_UID);
            meta = true;
        }
        TransferSyntax ts;
        if (uid != null) {
            ts = TransferSyntax.of(uid, name);
        } else {
            ts = guess(bytes, pos, name);
        }
        byte[] body = bytes;
        int start = pos;
        if (ts.deflated()) {
            body = inflate(bytes, pos, name);
            start = 0;
        }
        ByteOrder order = ts.bigEndian() ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
        DicomParser p = new DicomParser(body, name, ts.explicitVr(), order);
        DicomDataset ds = new DicomDataset(order);
        if (metaSet != null) {
            metaSet.elements().values().forEach(ds::put);
        }
        p.readElements(ds, start, body.length, 0, false);
        return new Parsed(ds, ts, meta);
    }

    /** The encoding of a file without meta information, from its first element. */
    private static TransferSyntax guess(byte[] b, int pos, String name) {
        int le = group(b, pos, ByteOrder.LITTLE_ENDIAN);
        int be = group(b, pos, ByteOrder.BIG_ENDIAN);
        boolean little;
        if (plausibleGroup(le)) {
            little = true;
        } else if (plausibleGroup(be)) {
            little = false;
        } else {
            throw new MedsaException(name + ": not a DICOM file (no 'DICM' marker and no DICOM element at the start)");
        }
        boolean explicit = Character.isUpperCase(b[pos + 4]) && Character.isUpperCase(b[pos + 5]);
        if (!little) {
            return TransferSyntax.EXPLICIT_VR_BIG_ENDIAN;
        }
        return explicit ? TransferSyntax.EXPLICIT_VR_LITTLE_ENDIAN : TransferSyntax.IMPLICIT_VR_LITTLE_ENDIAN;
    }

    private static boolean plausibleGroup(int g) {
        return g == 0x0002 || g == 0x0008 || g == 0x0010 || g == 0x0018 || g == 0x0020 || g == 0x0028;
    }

    private static int group(byte[] b, int pos, ByteOrder order) {
        return order == ByteOrder.LITTLE_ENDIAN ? (b[pos] & 0xff) | (b[pos + 1] & 0xff) << 8
                : (b[pos] & 0xff) << 8 | (b[pos + 1] & 0xff);
    }

    private static byte[] inflate(byte[] b, int pos, String name) {
        Inflater inf = new Inflater(true);
        inf.setInput(b, pos, b.length - pos);
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(1024, (b.length - pos) * 3));
        byte[] buf = new byte[1 << 16];
        try {
            while (!inf.finished()) {
                int n = inf.inflate(buf);
                if (n == 0 && (inf.needsInput() || inf.needsDictionary())) {
                    break;
                }
                out.write(buf, 0, n);
            }
        } catch (DataFormatException e) {
            throw new MedsaException(name + ": damaged deflated dataset (" + e.getMessage() + ")", e);
        } finally {
            inf.end();
        }
        return out.toByteArray();
    }

    private int u16(int pos) {
        return order == ByteOrder.LITTLE_ENDIAN ? (b[pos] & 0xff) | (b[pos + 1] & 0xff) << 8
                : (b[pos] & 0xff) << 8 | (b[pos + 1] & 0xff);
    }

    private long u32(int pos) {
        long lo = u16(pos);
        long hi = u16(pos + 2);
        return order == ByteOrder.LITTLE_ENDIAN ? lo | hi << 16 : lo << 16 | hi;
    }

    private int tag(int pos) {
        return u16(pos) << 16 | u16(pos + 2);
    }

    private void need(int pos, long count, int tag, int end) {
        if (count < 0 || pos + count > end) {
            throw new MedsaException(name + ": element " + DicomDataset.tagName(tag) + " at byte " + pos + " needs " + count
                    + " bytes but only " + Math.max(0, end - pos) + " remain (the file is truncated or damaged)");
        }
    }

    /**
     * Reads elements from {@code pos} to {@code end} into {@code ds}; returns where it stopped (at
     * {@code end}, after an item or sequence delimiter, or before the first non-meta element when
     * {@code metaOnly}).
     */
    private int readElements(DicomDataset ds, int pos, int end, int depth, boolean metaOnly) {
        if (depth > MAX_DEPTH) {
            throw new MedsaException(name + ": sequences nested more than " + MAX_DEPTH + " deep");
        }
        while (pos < end) {
            if (end - pos < 8) {
                if (depth == 0 && isPadding(pos, end)) {
                    return end; // trailing padding after the last element
                }
                throw new MedsaException(name + ": " + (end - pos) + " stray bytes at offset " + pos + " (truncated element)");
            }
            int tag = tag(pos);
            if (metaOnly && (tag >>> 16) != 0x0002) {
                return pos;
            }
            if (tag == Tags.ITEM_DELIMITATION || tag == Tags.SEQUENCE_DELIMITATION) {
                return pos + 8;
            }
            String vr;
            long length;
            int header;
            if ((tag >>> 16) == 0xFFFE) {
                throw new MedsaException(name + ": unexpected item tag " + DicomDataset.tagName(tag) + " at byte " + pos);
            }
            if (explicitVr) {
                vr = new String(b, pos + 4, 2, StandardCharsets.US_ASCII);
                if (!Character.isUpperCase(vr.charAt(0)) || !Character.isUpperCase(vr.charAt(1))) {
                    throw new MedsaException(name + ": element " + DicomDataset.tagName(tag) + " at byte " + pos
                            + " has no valid value representation ('" + printable(vr) + "')");
                }
                if (LONG_VRS.contains(vr)) {
                    need(pos, 12, tag, end);
                    length = u32(pos + 8);
                    header = 12;
                } else {
                    length = u16(pos + 6);
                    header = 8;
                }
            } else {
                vr = Tags.vr(tag);
                length = u32(pos + 4);
                header = 8;
            }
            pos += header;
            if (length == 0xFFFFFFFFL) {
                if (tag == Tags.PIXEL_DATA) {
                    List<byte[]> fragments = new ArrayList<>();
                    pos = readFragments(fragments, pos, end, tag);
                    ds.put(new DicomDataset.Element(tag, vr, null, null, fragments));
                } else {
                    // a sequence (SQ, or UN of undefined length, which is implicit VR little endian inside)
                    DicomParser inner = vr.equals("UN") && explicitVr ? new DicomParser(b, name, false, ByteOrder.LITTLE_ENDIAN)
                            : this;
                    List<DicomDataset> items = new ArrayList<>();
                    pos = inner.readItems(items, pos, end, UNDEFINED, depth, tag);
                    ds.put(new DicomDataset.Element(tag, "SQ", null, items, null));
                }
                continue;
            }
            need(pos, length, tag, end);
            int len = (int) length;
            if (vr.equals("SQ")) {
                List<DicomDataset> items = new ArrayList<>();
                readItems(items, pos, pos + len, len, depth, tag);
                ds.put(new DicomDataset.Element(tag, vr, null, items, null));
            } else {
                byte[] v = new byte[len];
                System.arraycopy(b, pos, v, 0, len);
                ds.put(new DicomDataset.Element(tag, vr, v, null, null));
            }
            pos += len;
        }
        return pos;
    }

    /** Reads the items of a sequence; {@code length} is its byte length or UNDEFINED. */
    private int readItems(List<DicomDataset> items, int pos, int end, int length, int depth, int seqTag) {
        int stop = length == UNDEFINED ? end : pos + length;
        while (pos < stop) {
            need(pos, 8, seqTag, end);
            int tag = tag(pos);
            long itemLength = u32(pos + 4);
            pos += 8;
            if (tag == Tags.SEQUENCE_DELIMITATION) {
                return pos;
            }
            if (tag != Tags.ITEM) {
                throw new MedsaException(name + ": sequence " + DicomDataset.tagName(seqTag) + " holds "
                        + DicomDataset.tagName(tag)
                        + " at byte " + (pos - 8) + " where an item was expected");
            }
            DicomDataset item = new DicomDataset(order);
            if (itemLength == 0xFFFFFFFFL) {
                pos = readElements(item, pos, stop, depth + 1, false);
            } else {
                need(pos, itemLength, seqTag, stop);
                readElements(item, pos, pos + (int) itemLength, depth + 1, false);
                pos += (int) itemLength;
            }
            items.add(item);
        }
        if (length == UNDEFINED) {
            throw new MedsaException(name + ": sequence " + DicomDataset.tagName(seqTag) + " is not terminated (truncated file)");
        }
        return pos;
    }

    /** Reads the items of encapsulated pixel data up to the sequence delimiter. */
    private int readFragments(List<byte[]> fragments, int pos, int end, int tag) {
        while (true) {
            need(pos, 8, tag, end);
            int t = tag(pos);
            long len = u32(pos + 4);
            pos += 8;
            if (t == Tags.SEQUENCE_DELIMITATION) {
                return pos;
            }
            if (t != Tags.ITEM) {
                throw new MedsaException(name + ": encapsulated pixel data holds " + DicomDataset.tagName(t) + " at byte "
                        + (pos - 8)
                        + " where a fragment was expected");
            }
            need(pos, len, tag, end);
            byte[] f = new byte[(int) len];
            System.arraycopy(b, pos, f, 0, (int) len);
            fragments.add(f);
            pos += (int) len;
        }
    }

    private boolean isPadding(int pos, int end) {
        for (int i = pos; i < end; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            sb.append(c >= 32 && c < 127 ? c : '?');
        }
        return sb.toString();
    }
}
