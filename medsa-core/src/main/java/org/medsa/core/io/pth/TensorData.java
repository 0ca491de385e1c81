package org.medsa.core.io.pth;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.medsa.core.MedsaException;

/**
 * The values of one tensor: dtype, shape, and its elements in C order as little-endian bytes.
 */
public final class TensorData {
    private final TorchDType dtype;
    private final long[] shape;
    private final byte[] bytes;

    /**
     * A tensor of {@code dtype} and {@code shape} over {@code bytes} (C order, little-endian; kept,
     * not copied).
     *
     * @throws MedsaException if the byte count does not match the shape and dtype
     */
    public TensorData(TorchDType dtype, long[] shape, byte[] bytes) {
        this.dtype = dtype;
        this.shape = shape.clone();
        this.bytes = bytes;
        long n = numel();
        if (n * dtype.elementSize() != bytes.length) {
            throw new MedsaException(
                    "tensor of shape " + Arrays.toString(shape) + " and " + dtype.typeName()
                            + " needs " + n * dtype.elementSize() + " bytes, got " + bytes.length);
        }
    }

    /** The element type. */
    public TorchDType dtype() {
        return dtype;
    }

    /** The shape (a copy). */
    public long[] shape() {
        return shape.clone();
    }

    /** Number of elements (the product of the shape; 1 for a scalar). */
    public long numel() {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        return n;
    }

    /** The raw little-endian bytes (not a copy). */
    public byte[] bytes() {
        return bytes;
    }

    /** A little-endian view of the bytes (shares them). */
    public ByteBuffer buffer() {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Element {@code i} (C order) converted to double, for any dtype. */
    public double getDouble(long i) {
        ByteBuffer b = buffer();
        int p = Math.toIntExact(i * dtype.elementSize());
        switch (dtype) {
            case FLOAT32: return b.getFloat(p);
            case FLOAT64: return b.getDouble(p);
            case FLOAT16: return halfToFloat(b.getShort(p));
            case BFLOAT16: return Float.intBitsToFloat((b.getShort(p) & 0xffff) << 16);
            case INT64: return b.getLong(p);
            case INT32: return b.getInt(p);
            case INT16: return b.getShort(p);
            case INT8: return b.get(p);
            case UINT8: return b.get(p) & 0xff;
            case BOOL: return b.get(p) != 0 ? 1 : 0;
            default: throw new IllegalStateException(dtype.toString());
        }
    }

    /** IEEE 754 binary16 to float (Java 17 has no Float.float16ToFloat). */
    static float halfToFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mant = bits & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            if (mant == 0) {
                return Float.intBitsToFloat(sign);
            }
            // subnormal: value = mant * 2^-24
            float v = mant * 0x1p-24f;
            return sign == 0 ? v : -v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /** All elements as floats (for floating and integer dtypes alike). */
    public float[] toFloatArray() {
        int n = Math.toIntExact(numel());
        float[] out = new float[n];
        if (dtype == TorchDType.FLOAT32) {
            buffer().asFloatBuffer().get(out);
            return out;
        }
        for (int i = 0; i < n; i++) {
            out[i] = (float) getDouble(i);
        }
        return out;
    }

    /**
     * Creates an NDArray of the given type owned by {@code manager}. The values are copied into
     * memory that PyTorch owns, so nothing of this object is kept alive by the array.
     */
    public NDArray toNDArray(NDManager manager, DataType type) {
        return NativeCopy.create(manager, dtype.djlType(), new Shape(shape), bytes, type);
    }

    /**
     * Creates an NDArray of this tensor's own type; bfloat16 becomes float32 and int16 int32,
     * which DJL's PyTorch engine cannot hold.
     */
    public NDArray toNDArray(NDManager manager) {
        DataType t = dtype.djlType();
        if (t == DataType.BFLOAT16) {
            t = DataType.FLOAT32;
        } else if (t == DataType.INT16) {
            t = DataType.INT32;
        }
        return toNDArray(manager, t);
    }

    /** Reads an NDArray's values (any device) into a TensorData. */
    public static TensorData of(NDArray array) {
        TorchDType t = TorchDType.fromDjl(array.getDataType());
        byte[] b = new byte[Math.toIntExact(array.size() * t.elementSize())];
        if (b.length > 0) {
            ByteBuffer buf = array.toByteBuffer();
            buf.order(ByteOrder.LITTLE_ENDIAN).get(b);
        }
        return new TensorData(t, array.getShape().getShape(), b);
    }

    @Override
    public String toString() {
        return "TensorData[" + dtype.typeName() + " " + Arrays.toString(shape) + "]";
    }
}
