package org.medsa.data.nifti;

import org.medsa.core.MedsaException;

/**
 * The voxel datatypes this library reads and writes, with their NIfTI codes.
 *
 * <p>Other NIfTI types (binary, complex, RGB, float128) are rejected with a clear error.
 */
public enum NiftiDatatype {
    /** Unsigned 8-bit integer (code 2). */
    UINT8(2, 1, "uint8", true, 0, 255),
    /** Signed 16-bit integer (code 4). */
    INT16(4, 2, "int16", true, Short.MIN_VALUE, Short.MAX_VALUE),
    /** Signed 32-bit integer (code 8). */
    INT32(8, 4, "int32", true, Integer.MIN_VALUE, Integer.MAX_VALUE),
    /** 32-bit float (code 16). */
    FLOAT32(16, 4, "float32", false, -Float.MAX_VALUE, Float.MAX_VALUE),
    /** 64-bit float (code 64). */
    FLOAT64(64, 8, "float64", false, -Double.MAX_VALUE, Double.MAX_VALUE),
    /** Signed 8-bit integer (code 256). */
    INT8(256, 1, "int8", true, Byte.MIN_VALUE, Byte.MAX_VALUE),
    /** Unsigned 16-bit integer (code 512). */
    UINT16(512, 2, "uint16", true, 0, 65535),
    /** Unsigned 32-bit integer (code 768). */
    UINT32(768, 4, "uint32", true, 0, 4294967295.0),
    /** Signed 64-bit integer (code 1024). */
    INT64(1024, 8, "int64", true, Long.MIN_VALUE, Long.MAX_VALUE),
    /** Unsigned 64-bit integer (code 1280). */
    UINT64(1280, 8, "uint64", true, 0, 18446744073709551615.0);

    private final int code;
    private final int bytes;
    private final String typeName;
    private final boolean integer;
    private final double min;
    private final double max;

    NiftiDatatype(int code, int bytes, String typeName, boolean integer, double min, double max) {
        this.code = code;
        this.bytes = bytes;
        this.typeName = typeName;
        this.integer = integer;
        this.min = min;
        this.max = max;
    }

    /** The NIfTI {@code datatype} header code. */
    public int code() {
        return code;
    }

    /** Bytes per voxel. */
    public int bytes() {
        return bytes;
    }

    /** NIfTI {@code bitpix}. */
    public int bitpix() {
        return 8 * bytes;
    }

    /** The numpy-style name, e.g. "int16". */
    public String typeName() {
        return typeName;
    }

    /** True for the integer types, false for float32 and float64. */
    public boolean isInteger() {
        return integer;
    }

    /** Smallest storable value. */
    public double minValue() {
        return min;
    }

    /** Largest storable value. */
    public double maxValue() {
        return max;
    }

    /** The datatype with this code, or null when the code is not one we support. */
    public static NiftiDatatype fromCode(int code) {
        for (NiftiDatatype t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        return null;
    }

    /** The datatype with this numpy-style name ("uint8", "float32", ...). */
    public static NiftiDatatype fromName(String name) {
        for (NiftiDatatype t : values()) {
            if (t.typeName.equalsIgnoreCase(name)) {
                return t;
            }
        }
        throw new MedsaException("unknown datatype '" + name + "'");
    }

    /** A readable name for any NIfTI datatype code, supported or not (for error messages). */
    public static String describeCode(int code) {
        NiftiDatatype t = fromCode(code);
        if (t != null) {
            return t.typeName;
        }
        switch (code) {
            case 0: return "unknown (0)";
            case 1: return "binary (1)";
            case 32: return "complex64 (32)";
            case 128: return "RGB24 (128)";
            case 1536: return "float128 (1536)";
            case 1792: return "complex128 (1792)";
            case 2048: return "complex256 (2048)";
            case 2304: return "RGBA32 (2304)";
            default: return "code " + code;
        }
    }

    @Override
    public String toString() {
        return typeName;
    }
}
