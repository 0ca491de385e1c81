package org.medsa.data.dicom;

import java.util.Map;
import org.medsa.core.MedsaException;

/**
 * The transfer syntaxes this reader decodes, and the names of those it refuses (the error names the
 * UID and its name and suggests converting the files, e.g. with dcm2niix).
 */
public enum TransferSyntax {

    /** 1.2.840.10008.1.2, the DICOM default. */
    IMPLICIT_VR_LITTLE_ENDIAN("1.2.840.10008.1.2", "Implicit VR Little Endian", false, false, false, Pixels.NATIVE),
    /** 1.2.840.10008.1.2.1. */
    EXPLICIT_VR_LITTLE_ENDIAN("1.2.840.10008.1.2.1", "Explicit VR Little Endian", true, false, false, Pixels.NATIVE),
    /** 1.2.840.10008.1.2.1.99: the dataset after the file meta information is deflated. */
    DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN("1.2.840.10008.1.2.1.99", "Deflated Explicit VR Little Endian", true, false, true,
            Pixels.NATIVE),
    /** 1.2.840.10008.1.2.2 (retired, still found in archives). */
    EXPLICIT_VR_BIG_ENDIAN("1.2.840.10008.1.2.2", "Explicit VR Big Endian", true, true, false, Pixels.NATIVE),
    /** 1.2.840.10008.1.2.5: encapsulated, run-length encoded byte planes. */
    RLE_LOSSLESS("1.2.840.10008.1.2.5", "RLE Lossless", true, false, false, Pixels.RLE),
    /** 1.2.840.10008.1.2.4.50: encapsulated 8-bit JPEG (decoded by the JDK's ImageIO). */
    JPEG_BASELINE("1.2.840.10008.1.2.4.50", "JPEG Baseline (Process 1)", true, false, false, Pixels.JPEG),
    /** 1.2.840.10008.1.2.4.51: encapsulated JPEG; 8-bit data is decoded, 12-bit is refused by the JDK's decoder. */
    JPEG_EXTENDED("1.2.840.10008.1.2.4.51", "JPEG Extended (Process 2 & 4)", true, false, false, Pixels.JPEG);

    /** How pixel data is stored. */
    enum Pixels { NATIVE, RLE, JPEG }

    private final String uid;
    private final String displayName;
    private final boolean explicitVr;
    private final boolean bigEndian;
    private final boolean deflated;
    private final Pixels pixels;

    TransferSyntax(String uid, String displayName, boolean explicitVr, boolean bigEndian, boolean deflated, Pixels pixels) {
        this.uid = uid;
        this.displayName = displayName;
        this.explicitVr = explicitVr;
        this.bigEndian = bigEndian;
        this.deflated = deflated;
        this.pixels = pixels;
    }

    /** Transfer syntaxes that are recognised but not decoded, by UID. */
    static final Map<String, String> REFUSED = Map.ofEntries(
            Map.entry("1.2.840.10008.1.2.4.52", "JPEG Extended (Process 3 & 5)"),
            Map.entry("1.2.840.10008.1.2.4.53", "JPEG Spectral Selection, Non-Hierarchical (Process 6 & 8)"),
            Map.entry("1.2.840.10008.1.2.4.55", "JPEG Full Progression, Non-Hierarchical (Process 10 & 12)"),
            Map.entry("1.2.840.10008.1.2.4.57", "JPEG Lossless, Non-Hierarchical (Process 14)"),
            Map.entry("1.2.840.10008.1.2.4.70", "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [SV1])"),
            Map.entry("1.2.840.10008.1.2.4.80", "JPEG-LS Lossless"),
            Map.entry("1.2.840.10008.1.2.4.81", "JPEG-LS Lossy (Near-Lossless)"),
            Map.entry("1.2.840.10008.1.2.4.90", "JPEG 2000 Image Compression (Lossless Only)"),
            Map.entry("1.2.840.10008.1.2.4.91", "JPEG 2000 Image Compression"),
            Map.entry("1.2.840.10008.1.2.4.92", "JPEG 2000 Part 2 Multi-component Image Compression (Lossless Only)"),
            Map.entry("1.2.840.10008.1.2.4.93", "JPEG 2000 Part 2 Multi-component Image Compression"),
            Map.entry("1.2.840.10008.1.2.4.94", "JPIP Referenced"),
            Map.entry("1.2.840.10008.1.2.4.100", "MPEG2 Main Profile / Main Level"),
            Map.entry("1.2.840.10008.1.2.4.101", "MPEG2 Main Profile / High Level"),
            Map.entry("1.2.840.10008.1.2.4.102", "MPEG-4 AVC/H.264 High Profile"),
            Map.entry("1.2.840.10008.1.2.4.103", "MPEG-4 AVC/H.264 BD-compatible High Profile"),
            Map.entry("1.2.840.10008.1.2.4.201", "High-Throughput JPEG 2000 (Lossless Only)"),
            Map.entry("1.2.840.10008.1.2.4.202", "High-Throughput JPEG 2000 with RPCL Options (Lossless Only)"),
            Map.entry("1.2.840.10008.1.2.4.203", "High-Throughput JPEG 2000"));

    public String uid() {
        return uid;
    }

    /** The standard's name, e.g. "Explicit VR Little Endian". */
    public String displayName() {
        return displayName;
    }

    public boolean explicitVr() {
        return explicitVr;
    }

    public boolean bigEndian() {
        return bigEndian;
    }

    public boolean deflated() {
        return deflated;
    }

    Pixels pixels() {
        return pixels;
    }

    /** True for the encapsulated (compressed) syntaxes. */
    public boolean encapsulated() {
        return pixels != Pixels.NATIVE;
    }

    /**
     * The syntax of a UID.
     *
     * @param file names the file in the error
     * @throws org.medsa.core.MedsaException for a refused or unknown UID, naming it
     */
    public static TransferSyntax of(String uid, String file) {
        for (TransferSyntax t : values()) {
            if (t.uid.equals(uid)) {
                return t;
            }
        }
        String name = REFUSED.get(uid);
        if (name != null) {
            throw new MedsaException(file + ": transfer syntax " + uid + " (" + name + ") is not supported;"
                    + " convert the series, e.g. with dcm2niix to NIfTI or with dcmdjpeg/gdcmconv to Explicit VR Little Endian");
        }
        throw new MedsaException(file + ": unknown transfer syntax " + uid + "; convert the series, e.g. with"
                + " dcm2niix to NIfTI");
    }
}
