package org.medsa.data.nrrd;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.medsa.data.nifti.NiftiDatatype;

/**
 * What the NRRD reader and writer share: the file name rule, the type names of the format
 * (teem's {@code nrrdType} spellings) and the world frames it names. The format is teem's
 * (http://teem.sourceforge.net/nrrd/format.html); 3D Slicer's default volume format.
 */
public final class NrrdFormat {

    /** Every spelling of a type NRRD allows, to the datatype that stores it. */
    static final Map<String, NiftiDatatype> TYPES = Map.ofEntries(
            Map.entry("signed char", NiftiDatatype.INT8), Map.entry("int8", NiftiDatatype.INT8),
            Map.entry("int8_t", NiftiDatatype.INT8),
            Map.entry("uchar", NiftiDatatype.UINT8), Map.entry("unsigned char", NiftiDatatype.UINT8),
            Map.entry("uint8", NiftiDatatype.UINT8), Map.entry("uint8_t", NiftiDatatype.UINT8),
            Map.entry("short", NiftiDatatype.INT16), Map.entry("short int", NiftiDatatype.INT16),
            Map.entry("signed short", NiftiDatatype.INT16), Map.entry("signed short int", NiftiDatatype.INT16),
            Map.entry("int16", NiftiDatatype.INT16), Map.entry("int16_t", NiftiDatatype.INT16),
            Map.entry("ushort", NiftiDatatype.UINT16), Map.entry("unsigned short", NiftiDatatype.UINT16),
            Map.entry("unsigned short int", NiftiDatatype.UINT16), Map.entry("uint16", NiftiDatatype.UINT16),
            Map.entry("uint16_t", NiftiDatatype.UINT16),
            Map.entry("int", NiftiDatatype.INT32), Map.entry("signed int", NiftiDatatype.INT32),
            Map.entry("int32", NiftiDatatype.INT32), Map.entry("int32_t", NiftiDatatype.INT32),
            Map.entry("uint", NiftiDatatype.UINT32), Map.entry("unsigned int", NiftiDatatype.UINT32),
            Map.entry("uint32", NiftiDatatype.UINT32), Map.entry("uint32_t", NiftiDatatype.UINT32),
            Map.entry("longlong", NiftiDatatype.INT64), Map.entry("long long", NiftiDatatype.INT64),
            Map.entry("long long int", NiftiDatatype.INT64), Map.entry("signed long long", NiftiDatatype.INT64),
            Map.entry("signed long long int", NiftiDatatype.INT64), Map.entry("int64", NiftiDatatype.INT64),
            Map.entry("int64_t", NiftiDatatype.INT64),
            Map.entry("ulonglong", NiftiDatatype.UINT64), Map.entry("unsigned long long", NiftiDatatype.UINT64),
            Map.entry("unsigned long long int", NiftiDatatype.UINT64), Map.entry("uint64", NiftiDatatype.UINT64),
            Map.entry("uint64_t", NiftiDatatype.UINT64),
            Map.entry("float", NiftiDatatype.FLOAT32), Map.entry("double", NiftiDatatype.FLOAT64));

    private NrrdFormat() {}

    /** True for names ending in {@code .nrrd} (case-insensitive; Slicer's {@code .seg.nrrd} included). */
    public static boolean isNrrdName(Path path) {
        Path f = path.getFileName();
        return f != null && f.toString().toLowerCase(Locale.ROOT).endsWith(".nrrd");
    }

    /** The name the writer uses for a datatype (teem's canonical one), or null when NRRD has none. */
    static String typeName(NiftiDatatype t) {
        return switch (t) {
            case INT8 -> "int8";
            case UINT8 -> "uint8";
            case INT16 -> "int16";
            case UINT16 -> "uint16";
            case INT32 -> "int32";
            case UINT32 -> "uint32";
            case INT64 -> "int64";
            case UINT64 -> "uint64";
            case FLOAT32 -> "float";
            case FLOAT64 -> "double";
            default -> null;
        };
    }

    /**
     * The signs that turn a world frame's x, y, z into RAS (the frame of this library's affines),
     * or null for a frame that is not a patient frame of three spatial axes.
     */
    static double[] toRas(String space) {
        return switch (space.toLowerCase(Locale.ROOT)) {
            case "left-posterior-superior", "lps" -> new double[] {-1, -1, 1};
            case "right-anterior-superior", "ras", "3d-right-handed", "scanner-xyz" -> new double[] {1, 1, 1};
            case "left-anterior-superior", "las" -> new double[] {-1, 1, 1};
            default -> null;
        };
    }
}
