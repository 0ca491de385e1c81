package org.medsa.core.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

/**
 * The one owner of reduced precision: the half-precision rules of the frozen image encoder
 * ({@code ImageEncoderViT.halfPrecision}): activations and frozen weights in float16 or bfloat16
 * (weights are cast where they are used, see {@link TorchBlock#value}); LayerNorm statistics, the
 * attention softmax and the adapters in float32. The engine has no autocast, so each of these
 * places casts explicitly; DJL 0.29 cannot name bfloat16 to the engine at all, so casts to it go
 * through a TorchScript module ({@link ScriptCasts}). On float32 inputs every method is the plain
 * operation.
 */
public final class Precision {

    private Precision() {
    }

    /** True for a float16 or bfloat16 activation. */
    public static boolean isHalf(NDArray x) {
        return x.getDataType() == DataType.FLOAT16 || isBfloat16(x);
    }

    /**
     * True for a bfloat16 array. DJL 0.29 has no engine mapping for bfloat16 and reports such
     * arrays as {@code UNKNOWN}; every other type the engine makes is known to DJL, so UNKNOWN is
     * bfloat16 here.
     */
    public static boolean isBfloat16(NDArray x) {
        return x.getDataType() == DataType.UNKNOWN;
    }

    /** The half type of x as a DataType (FLOAT16 or BFLOAT16), or x's type. */
    static DataType halfType(NDArray x) {
        return isBfloat16(x) ? DataType.BFLOAT16 : x.getDataType();
    }

    /** {@code work} on x in float32, the result back in x's type (float16 and bfloat16 stay so). */
    public static NDArray inFloat32(NDArray x, UnaryOperator<NDArray> work) {
        if (!isHalf(x)) {
            return work.apply(x);
        }
        return cast(work.apply(cast(x, DataType.FLOAT32)), halfType(x));
    }

    /**
     * x in {@code type}, differentiably while gradients are recorded. DJL's {@code toType} detaches
     * its result from the graph (a float16 block would pass no gradient to the float32 adapters
     * before it); PyTorch's cumprod with a dtype casts inside the graph, and over a new axis of
     * size one it is the identity. Without gradient recording it is a plain cast.
     */
    public static NDArray cast(NDArray x, DataType type) {
        if (halfType(x) == type) {
            return x;
        }
        if (type == DataType.BFLOAT16) {
            // DJL cannot name bfloat16 to the engine (toType aborts the JVM): a TorchScript cast
            return ScriptCasts.to(x, ScriptCasts.BFLOAT16);
        }
        if (isBfloat16(x) && JniUtils.isGradMode()) {
            if (type != DataType.FLOAT32) {
                throw new IllegalArgumentException("bfloat16 arrays are cast to float32 only, not " + type);
            }
            return ScriptCasts.to(x, ScriptCasts.FLOAT32);
        }
        if (!(x instanceof PtNDArray pt) || !JniUtils.isGradMode()) {
            return x.toType(type, false);
        }
        return JniUtils.cumProd((PtNDArray) pt.expandDims(-1), -1, type).squeeze(-1);
    }

    /**
     * Softmax over {@code axis}, computed in float32 for float16 scores; bfloat16 scores over the
     * last axis go to PyTorch's own bfloat16 softmax, which accumulates in float32 (no float32
     * copy of the scores).
     */
    public static NDArray softmax(NDArray scores, int axis) {
        if (isBfloat16(scores) && (axis == -1 || axis == scores.getShape().dimension() - 1)) {
            return ScriptCasts.softmaxLastAxis(scores);
        }
        return inFloat32(scores, s -> s.softmax(axis));
    }

    /** Lowest and highest exponent of {@link #POWERS_OF_TWO}. */
    private static final int MIN_EXP = -150;
    private static final int MAX_EXP = 128;
    /** 2^k for k = MIN_EXP .. MAX_EXP (2^128 is infinite in float32), one table per device. */
    private static final Map<Device, NDArray> POWERS_OF_TWO = new ConcurrentHashMap<>();
    private static final NDManager TABLES = NDManager.newBaseManager();

    /**
     * x (float32) rounded to the nearest bfloat16 value, ties to even, kept in float32: the value
     * PyTorch's {@code x.to(torch.bfloat16)} stores (SAM 2's video predictor keeps its memory
     * features that way). The engine has no bfloat16 ({@code toType(BFLOAT16)} aborts the JVM)
     * and no bit casts, so the rounding is done in arithmetic on the array's device: bfloat16
     * keeps 8 significant bits, so |x| in [2^e, 2^(e+1)) is rounded to a multiple of 2^(e−7) —
     * exact divisions by powers of two and {@code round}, which is half-to-even. The power of two
     * comes from a table (computing 2^e with {@code pow} is not guaranteed exact), and e from
     * log2 corrected by one where log2 rounds across a power of two. Subnormal bfloat16 values
     * ({@code |x| < 2^−126}) are multiples of 2^−133, as in the hardware format; NaN and infinities pass.
     */
    public static NDArray roundToBfloat16(NDArray x) {
        if (x.getDataType() != DataType.FLOAT32) {
            throw new IllegalArgumentException("bfloat16 rounding is defined here for float32 arrays, got " + x.getDataType());
        }
        NDArray table = POWERS_OF_TWO.computeIfAbsent(x.getDevice(), Precision::powersOfTwo);
        NDArray powers = Ops.viewIn(table, x.getManager());
        NDArray a = x.abs();
        a = NDArrays.where(a.isNaN(), a.zerosLike(), a);
        NDArray e = a.log2().floor().clip(MIN_EXP + 1, MAX_EXP - 1);
        NDArray p = powers.take(e.sub(MIN_EXP).toType(DataType.INT64, false));
        e = NDArrays.where(a.lt(p), e.sub(1), e);
        e = NDArrays.where(a.gte(p.add(p)), e.add(1), e);
        e = e.clip(-126, 127);
        NDArray ulp = powers.take(e.sub(7 + MIN_EXP).toType(DataType.INT64, false));
        return x.div(ulp).round().mul(ulp);
    }

    private static NDArray powersOfTwo(Device device) {
        float[] v = new float[MAX_EXP - MIN_EXP + 1];
        for (int k = MIN_EXP; k <= MAX_EXP; k++) {
            v[k - MIN_EXP] = Math.scalb(1f, k);
        }
        NDArray t = Ops.array(TABLES, v, new Shape(v.length));
        return device.equals(t.getDevice()) ? t : t.toDevice(device, false);
    }
}
