package org.medsa.core.io.pth;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.medsa.core.MedsaException;

/**
 * Creates NDArrays from bytes without leaving direct buffers behind.
 *
 * <p>DJL's PyTorch engine wraps a direct buffer in place (the tensor aliases it), and a direct
 * buffer is only freed when the garbage collector gets to it. Loading a 2.5 GB checkpoint tensor
 * by tensor would then hold the weights twice. Here each tensor goes through one reused,
 * thread-local staging buffer and is then copied into memory that PyTorch owns.
 */
final class NativeCopy {

    private static final ThreadLocal<ByteBuffer> STAGING = new ThreadLocal<>();
    private static final Method INVOKE_CLEANER;
    private static final Object UNSAFE;

    static {
        Method m = null;
        Object u = null;
        try {
            Class<?> c = Class.forName("sun.misc.Unsafe");
            Field f = c.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            u = f.get(null);
            m = c.getMethod("invokeCleaner", ByteBuffer.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // Without it, old staging buffers are simply left to the garbage collector.
        }
        INVOKE_CLEANER = m;
        UNSAFE = u;
    }

    private NativeCopy() {}

    static NDArray create(NDManager manager, DataType stored, Shape shape, byte[] bytes, DataType target) {
        // DJL 0.29's PyTorch JNI aborts the JVM on bfloat16 and int16 buffers: widen them here.
        if (stored == DataType.BFLOAT16) {
            bytes = widenBfloat16(bytes);
            stored = DataType.FLOAT32;
        } else if (stored == DataType.INT16) {
            bytes = widenInt16(bytes);
            stored = DataType.INT32;
        }
        if (target == DataType.BFLOAT16 || target == DataType.INT16) {
            throw new MedsaException("NDArrays of " + target + " are not supported by DJL's PyTorch engine");
        }
        if (bytes.length == 0) {
            return manager.create(shape, target);
        }
        ByteBuffer staging = staging(bytes.length);
        staging.clear();
        staging.put(bytes);
        staging.flip();
        return fromStaging(manager, staging, stored, shape, target);
    }

    /** Whether {@link #fromStaging} can take this stored type directly. */
    static boolean stagesDirectly(DataType stored) {
        return stored != DataType.BFLOAT16 && stored != DataType.INT16;
    }

    /**
     * An engine-owned copy of the values in a staging buffer (from {@link #staging}) holding the
     * elements in native byte order.
     */
    static NDArray fromStaging(NDManager manager, ByteBuffer staging, DataType stored, Shape shape, DataType target) {
        // Integer and bool types also go through here; DJL validates the buffer's length.
        try (NDArray alias = manager.create(staging, shape, stored)) {
            return stored == target ? alias.duplicate() : alias.toType(target, true);
        }
    }

    private static byte[] widenBfloat16(byte[] b) {
        byte[] out = new byte[b.length * 2];
        for (int i = 0, j = 0; i < b.length; i += 2, j += 4) {
            // little-endian: the bf16 bits are the high half of the float32
            out[j + 2] = b[i];
            out[j + 3] = b[i + 1];
        }
        return out;
    }

    private static byte[] widenInt16(byte[] b) {
        byte[] out = new byte[b.length * 2];
        for (int i = 0, j = 0; i < b.length; i += 2, j += 4) {
            out[j] = b[i];
            out[j + 1] = b[i + 1];
            byte sign = (byte) (b[i + 1] < 0 ? 0xff : 0);
            out[j + 2] = sign;
            out[j + 3] = sign;
        }
        return out;
    }

    /** This thread's staging buffer, sliced to {@code size} bytes (contents undefined). */
    static ByteBuffer staging(int size) {
        ByteBuffer b = STAGING.get();
        if (b == null || b.capacity() < size) {
            if (b != null) {
                free(b);
            }
            b = ByteBuffer.allocateDirect(Math.max(size, 1 << 20)).order(ByteOrder.nativeOrder());
            STAGING.set(b);
        }
        return b.duplicate().order(ByteOrder.nativeOrder()).limit(size).slice().order(ByteOrder.nativeOrder());
    }

    /** Frees this thread's staging buffer (call after a large load). */
    static void release() {
        ByteBuffer b = STAGING.get();
        if (b != null) {
            STAGING.remove();
            free(b);
        }
    }

    private static void free(ByteBuffer b) {
        if (INVOKE_CLEANER != null) {
            try {
                INVOKE_CLEANER.invoke(UNSAFE, b);
            } catch (ReflectiveOperationException | RuntimeException e) {
                // left to the garbage collector
            }
        }
    }
}
