package org.medsa.data.nifti;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.medsa.core.MedsaException;

/**
 * The stored voxel values of a NIfTI image exactly as in the file (datatype and byte order),
 * readable as doubles without a full conversion.
 */
public final class VoxelBuffer {

    private final NiftiDatatype type;
    private final ByteBuffer bytes;
    private final int count;

    VoxelBuffer(NiftiDatatype type, byte[] data, ByteOrder order) {
        this.type = type;
        this.bytes = ByteBuffer.wrap(data).order(order);
        if (data.length % type.bytes() != 0) {
            throw new MedsaException("data length is not a multiple of the voxel size");
        }
        this.count = data.length / type.bytes();
    }

    /** The stored datatype. */
    public NiftiDatatype datatype() {
        return type;
    }

    /** The byte order of the stored values. */
    public ByteOrder byteOrder() {
        return bytes.order();
    }

    /** Number of voxels. */
    public int count() {
        return count;
    }

    /** The stored (unscaled) value of voxel {@code i}. */
    public double raw(int i) {
        switch (type) {
            case UINT8: return bytes.get(i) & 0xFF;
            case INT8: return bytes.get(i);
            case INT16: return bytes.getShort(2 * i);
            case UINT16: return bytes.getShort(2 * i) & 0xFFFF;
            case INT32: return bytes.getInt(4 * i);
            case UINT32: return bytes.getInt(4 * i) & 0xFFFFFFFFL;
            case INT64: return bytes.getLong(8 * i);
            case UINT64: return unsignedLongToDouble(bytes.getLong(8 * i));
            case FLOAT32: return bytes.getFloat(4 * i);
            case FLOAT64: return bytes.getDouble(8 * i);
            default: throw new IllegalStateException(type.toString());
        }
    }

    /** The stored value of voxel {@code i} as an exact long (integer datatypes only). */
    public long rawLong(int i) {
        switch (type) {
            case UINT8: return bytes.get(i) & 0xFF;
            case INT8: return bytes.get(i);
            case INT16: return bytes.getShort(2 * i);
            case UINT16: return bytes.getShort(2 * i) & 0xFFFF;
            case INT32: return bytes.getInt(4 * i);
            case UINT32: return bytes.getInt(4 * i) & 0xFFFFFFFFL;
            case INT64:
            case UINT64: return bytes.getLong(8 * i);
            default: throw new IllegalStateException("rawLong on " + type);
        }
    }

    /**
     * Values {@code from .. from+length-1}, scaled by {@code slope * raw + inter} (pass 1 and 0 for
     * none), converted to float, written into {@code dst} at {@code dstOffset}.
     */
    public void toFloats(int from, int length, double slope, double inter, float[] dst, int dstOffset) {
        boolean identity = slope == 1.0 && inter == 0.0;
        switch (type) {
            case UINT8: {
                for (int i = 0; i < length; i++) {
                    int v = bytes.get(from + i) & 0xFF;
                    dst[dstOffset + i] = identity ? v : (float) (slope * v + inter);
                }
                return;
            }
            case FLOAT32: {
                ByteBuffer view = bytes.duplicate().order(bytes.order());
                view.position(4 * from);
                view.asFloatBuffer().get(dst, dstOffset, length);
                if (!identity) {
                    for (int i = 0; i < length; i++) {
                        dst[dstOffset + i] = (float) (slope * dst[dstOffset + i] + inter);
                    }
                }
                return;
            }
            case INT16: {
                short[] tmp = new short[length];
                ByteBuffer view = bytes.duplicate().order(bytes.order());
                view.position(2 * from);
                view.asShortBuffer().get(tmp);
                for (int i = 0; i < length; i++) {
                    dst[dstOffset + i] = identity ? tmp[i] : (float) (slope * tmp[i] + inter);
                }
                return;
            }
            default:
                for (int i = 0; i < length; i++) {
                    dst[dstOffset + i] = (float) (slope * raw(from + i) + inter);
                }
        }
    }

    /** Writes the stored bytes as they are (datatype and byte order of the header). */
    public void writeTo(OutputStream out) throws IOException {
        out.write(bytes.array(), bytes.arrayOffset(), count * type.bytes());
    }

    private static double unsignedLongToDouble(long v) {
        if (v >= 0) {
            return v;
        }
        // halve keeping the lowest bit as a sticky bit, so the one rounding step is correct
        return (double) ((v >>> 1) | (v & 1L)) * 2.0;
    }
}
