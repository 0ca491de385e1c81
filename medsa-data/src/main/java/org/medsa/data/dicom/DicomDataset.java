package org.medsa.data.dicom;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.medsa.core.MedsaException;

/**
 * The elements of a DICOM dataset (or of a sequence item), in file order, with typed accessors.
 * Values are kept as the bytes of the file; numbers are decoded in the dataset's byte order, and
 * for implicit-VR files the value representation comes from {@link Tags#vr}.
 */
public final class DicomDataset {

    /**
     * One element: its tag ((group &lt;&lt; 16) | element), value representation (from the file, or
     * the dictionary for implicit VR), and either its value bytes, its sequence items, or the
     * fragments of encapsulated pixel data (the first one is the basic offset table).
     */
    public record Element(int tag, String vr, byte[] value, List<DicomDataset> items, List<byte[]> fragments) {}

    private final Map<Integer, Element> elements = new LinkedHashMap<>();
    private final ByteOrder order;

    DicomDataset(ByteOrder order) {
        this.order = order;
    }

    void put(Element e) {
        elements.put(e.tag(), e);
    }

    /**
     * Parses a DICOM file's dataset (any object, e.g. a SEG this library wrote; images are read
     * with {@link DicomImage#read}).
     *
     * @throws MedsaException naming the file and what is wrong
     */
    public static DicomDataset read(Path file) {
        try {
            return DicomParser.parse(Files.readAllBytes(file), file.toString()).dataset();
        } catch (IOException e) {
            throw new MedsaException(file + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    /** The byte order of the numbers in this dataset. */
    public ByteOrder order() {
        return order;
    }

    /** Every element, by tag, in file order. */
    public Map<Integer, Element> elements() {
        return Collections.unmodifiableMap(elements);
    }

    /** The element with this tag, or null. */
    public Element element(int tag) {
        return elements.get(tag);
    }

    public boolean contains(int tag) {
        return elements.containsKey(tag);
    }

    /** A text value with padding (spaces, NUL) trimmed, or null when absent or empty. */
    public String string(int tag) {
        Element e = elements.get(tag);
        if (e == null || e.value() == null) {
            return null;
        }
        String s = new String(e.value(), StandardCharsets.ISO_8859_1).replace('\0', ' ').strip();
        return s.isEmpty() ? null : s;
    }

    /** A multi-valued text value split at backslashes, or null. */
    public String[] strings(int tag) {
        String s = string(tag);
        return s == null ? null : s.split("\\\\", -1);
    }

    /**
     * An integer value (US, SS, UL, SL, or IS text), or null when absent or empty.
     *
     * @throws NumberFormatException for an IS value that is not a number
     */
    public Integer integer(int tag) {
        Element e = elements.get(tag);
        if (e == null || e.value() == null || e.value().length == 0) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(e.value()).order(order);
        switch (e.vr()) {
            case "US": return e.value().length >= 2 ? b.getShort() & 0xffff : null;
            case "SS": return e.value().length >= 2 ? (int) b.getShort() : null;
            case "UL": return e.value().length >= 4 ? b.getInt() : null;
            case "SL": return e.value().length >= 4 ? b.getInt() : null;
            default: {
                String s = string(tag);
                return s == null ? null : (int) Math.round(Double.parseDouble(s.split("\\\\")[0].strip()));
            }
        }
    }

    /**
     * Numbers of a DS, IS, FL or FD value (all of a multi-valued one), or null when absent.
     *
     * @throws NumberFormatException for text that is not numbers
     */
    public double[] doubles(int tag) {
        Element e = elements.get(tag);
        if (e == null || e.value() == null || e.value().length == 0) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(e.value()).order(order);
        switch (e.vr()) {
            case "FD": {
                double[] d = new double[e.value().length / 8];
                for (int i = 0; i < d.length; i++) {
                    d[i] = b.getDouble();
                }
                return d;
            }
            case "FL": {
                double[] d = new double[e.value().length / 4];
                for (int i = 0; i < d.length; i++) {
                    d[i] = b.getFloat();
                }
                return d;
            }
            default: {
                String[] parts = strings(tag);
                if (parts == null) {
                    return null;
                }
                double[] d = new double[parts.length];
                for (int i = 0; i < d.length; i++) {
                    d[i] = Double.parseDouble(parts[i].strip());
                }
                return d;
            }
        }
    }

    /** The items of a sequence, or an empty list. */
    public List<DicomDataset> sequence(int tag) {
        Element e = elements.get(tag);
        return e == null || e.items() == null ? List.of() : e.items();
    }

    /** "(gggg,eeee)". */
    public static String tagName(int tag) {
        return String.format("(%04X,%04X)", tag >>> 16, tag & 0xffff);
    }
}
