package org.medsa.core.io.pth;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;

/**
 * A tensor inside a checkpoint, not yet read: where its values are (storage, offset, strides)
 * and what it is (dtype, shape). {@link TorchCheckpoint#read} materialises it.
 */
public final class TorchTensor {

    /** A storage record: its key in the file, element type, length, and (legacy) view offset. */
    record Storage(String key, TorchDType dtype, long numel, long elementOffset) {}

    private final Storage storage;
    private final long offset;
    private final long[] shape;
    private final long[] stride;
    private final boolean requiresGrad;
    private final boolean parameter;

    TorchTensor(Storage storage, long offset, long[] shape, long[] stride, boolean requiresGrad, boolean parameter) {
        this.storage = storage;
        this.offset = offset;
        this.shape = shape;
        this.stride = stride;
        this.requiresGrad = requiresGrad;
        this.parameter = parameter;
    }

    /** Arguments of {@code _rebuild_tensor_v2(storage, offset, size, stride, requires_grad, ...)}. */
    static TorchTensor rebuild(List<Object> args, boolean parameter) throws IOException {
        if (args.size() < 4 || !(args.get(0) instanceof Storage s)) {
            throw new IOException("unsupported tensor record (only dense CPU/GPU tensors are supported)");
        }
        long offset = ((Number) args.get(1)).longValue();
        long[] shape = longs(args.get(2));
        long[] stride = longs(args.get(3));
        boolean requiresGrad = args.size() > 4 && Boolean.TRUE.equals(args.get(4));
        if (shape.length != stride.length) {
            throw new IOException("tensor has " + shape.length + " sizes but " + stride.length + " strides");
        }
        return new TorchTensor(s, offset, shape, stride, requiresGrad, parameter);
    }

    TorchTensor asParameter(boolean requiresGrad) {
        return new TorchTensor(storage, offset, shape, stride, requiresGrad, true);
    }

    private static long[] longs(Object o) throws IOException {
        List<Object> items;
        if (o instanceof PyTuple t) {
            items = t.items();
        } else if (o instanceof List<?> l) {
            @SuppressWarnings("unchecked")
            List<Object> ll = (List<Object>) l;
            items = ll;
        } else {
            throw new IOException("tensor size/stride is not a tuple");
        }
        long[] r = new long[items.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = ((Number) items.get(i)).longValue();
        }
        return r;
    }

    Storage storage() {
        return storage;
    }

    /** The element type of its storage. */
    public TorchDType dtype() {
        return storage.dtype();
    }

    /** The shape (a copy). */
    public long[] shape() {
        return shape.clone();
    }

    /** The strides in elements, one per dimension (a copy). */
    public long[] stride() {
        return stride.clone();
    }

    /** Offset of the first element in its storage, in elements. */
    public long storageOffset() {
        return offset;
    }

    /** The {@code requires_grad} flag it was saved with. */
    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** True if it was saved as an {@code nn.Parameter}. */
    public boolean isParameter() {
        return parameter;
    }

    /** Number of elements (the product of the shape). */
    public long numel() {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        return n;
    }

    /** Size of its values in bytes ({@link #numel()} times the element size). */
    public long byteSize() {
        return numel() * dtype().elementSize();
    }

    /** Copies this tensor's elements out of its storage bytes into C order. */
    byte[] gather(byte[] storageBytes, long storageBase) throws IOException {
        int es = dtype().elementSize();
        long n = numel();
        byte[] out = new byte[Math.toIntExact(n * es)];
        if (n == 0) {
            return out;
        }
        long base = storageBase + offset;
        // Highest element index touched, to refuse views that point outside their storage.
        long maxIndex = base;
        for (int d = 0; d < shape.length; d++) {
            if (stride[d] < 0) {
                throw new IOException("negative strides are not supported");
            }
            maxIndex += (shape[d] - 1) * stride[d];
        }
        if ((maxIndex + 1) * es > storageBytes.length) {
            throw new IOException("tensor view of shape " + Arrays.toString(shape) + " reaches element "
                    + maxIndex + " but its storage holds " + storageBytes.length / es);
        }
        if (isContiguous()) {
            System.arraycopy(storageBytes, Math.toIntExact(base * es), out, 0, out.length);
            return out;
        }
        int nd = shape.length;
        long[] idx = new long[nd];
        long src = base;
        for (long i = 0; i < n; i++) {
            System.arraycopy(storageBytes, Math.toIntExact(src * es), out, Math.toIntExact(i * es), es);
            for (int d = nd - 1; d >= 0; d--) {
                idx[d]++;
                src += stride[d];
                if (idx[d] < shape[d]) {
                    break;
                }
                src -= idx[d] * stride[d];
                idx[d] = 0;
            }
        }
        return out;
    }

    boolean isContiguous() {
        long expected = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] != 1 && stride[d] != expected) {
                return false;
            }
            expected *= shape[d];
        }
        return true;
    }

    @Override
    public String toString() {
        return "TorchTensor[" + dtype().typeName() + " " + Arrays.toString(shape) + "]";
    }
}
