package org.medsa.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/** Tensor operations SAM needs that DJL's NDArray API does not offer directly. */
public final class Ops {

    private Ops() {}

    /** Interpolation modes of {@code torch.nn.functional.interpolate} as DJL's JNI numbers them. */
    public enum Mode {
        /** Nearest neighbour. */
        NEAREST(0),
        /** Linear, for (N, C, L). */
        LINEAR(1),
        /** Bilinear, for (N, C, H, W). */
        BILINEAR(2),
        /** Bicubic, for (N, C, H, W). */
        BICUBIC(3),
        /** Trilinear, for (N, C, D, H, W). */
        TRILINEAR(4);

        final int code;

        Mode(int code) {
            this.code = code;
        }
    }

    /**
     * {@code F.interpolate(x, size, mode, align_corners)}: LINEAR for (N, C, L), BILINEAR and
     * BICUBIC for (N, C, H, W). Gradients flow through it.
     */
    public static NDArray interpolate(NDArray x, long[] size, Mode mode, boolean alignCorners) {
        if (!(x instanceof PtNDArray pt)) {
            throw new IllegalStateException("interpolation needs DJL's PyTorch engine, got " + x.getClass().getName());
        }
        return JniUtils.interpolate(pt, size, mode.code, alignCorners);
    }

    /**
     * Runs {@code work} with autograd off on this thread (PyTorch's grad mode is per thread and on
     * by default), so inference never records graphs.
     */
    public static <T> T noGrad(Supplier<T> work) {
        boolean before = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            return work.get();
        } finally {
            JniUtils.setGradMode(before);
        }
    }

    /**
     * Runs {@code work} on a view of {@code x} in a child scope of x's manager: every array the
     * work derives from that view is closed when it returns, except the result, which moves to
     * x's manager. Without it a forward pass keeps every intermediate until the caller's scope
     * closes (docs/performance.md: the memory of a ViT-B forward with and without). Autograd holds its own references to what
     * the backward pass needs, so this is safe while recording gradients too.
     */
    public static NDArray scoped(NDArray x, UnaryOperator<NDArray> work) {
        NDManager parent = x.getManager();
        try (NDManager scope = parent.newSubManager(x.getDevice())) {
            NDArray y = work.apply(viewIn(x, scope));
            y.attach(parent);
            return y;
        }
    }

    /**
     * A view of {@code x} (the same storage) owned by {@code manager}: operations on the view put
     * their results in {@code manager}, and the storage lives as long as the view or {@code x}
     * does. Keeps long-lived arrays out of a short scope's bookkeeping and the other way round.
     */
    public static NDArray viewIn(NDArray x, NDManager manager) {
        NDArray view = x.reshape(x.getShape());
        view.attach(manager);
        return view;
    }

    /**
     * {@code x} with its elements in row-major order in memory: a view when they already are,
     * else a copy. Arrays read by many later products (the decoder's prepared image side) are
     * stored this way once instead of paying for a transposed layout in every use.
     */
    public static NDArray contiguous(NDArray x) {
        return x.reshape(-1).reshape(x.getShape());
    }

    /**
     * A 0-d tensor {@code value} with the dtype, device and manager of {@code like}, in memory
     * PyTorch owns.
     *
     * <p>Why: DJL's {@code x.mul(2.0)} builds the scalar from a Java direct buffer, runs the op,
     * and closes the scalar at once. Autograd keeps that scalar for the backward pass of mul, div,
     * pow, maximum and minimum, and after the garbage collector frees the buffer the backward pass
     * reads freed memory (NaN or wrong gradients, depending on timing). Every scalar operation on
     * a differentiable path goes through {@link #mul}, {@link #div}, {@link #pow}, {@link
     * #maximum} and {@link #minimum} instead.
     */
    public static NDArray scalar(NDArray like, double value) {
        // bfloat16: DJL cannot name the type; a float32 0-d tensor keeps a bfloat16 operand's type
        DataType type = Precision.isBfloat16(like) ? DataType.FLOAT32 : like.getDataType();
        return like.getManager().full(new Shape(), (float) value, type);
    }

    /** {@code x · c} with a PyTorch-owned scalar (see {@link #scalar}). */
    public static NDArray mul(NDArray x, double c) {
        return x.mul(scalar(x, c));
    }

    /** {@code x / c} with a PyTorch-owned scalar (see {@link #scalar}). */
    public static NDArray div(NDArray x, double c) {
        return x.div(scalar(x, c));
    }

    /** {@code x ^ c} with a PyTorch-owned scalar (see {@link #scalar}). */
    public static NDArray pow(NDArray x, double c) {
        return x.pow(scalar(x, c));
    }

    /** {@code max(x, c)} with a PyTorch-owned scalar (see {@link #scalar}). */
    public static NDArray maximum(NDArray x, double c) {
        return x.maximum(scalar(x, c));
    }

    /** {@code min(x, c)} with a PyTorch-owned scalar (see {@link #scalar}). */
    public static NDArray minimum(NDArray x, double c) {
        return x.minimum(scalar(x, c));
    }

    /**
     * An array holding {@code values}, in memory PyTorch owns.
     *
     * <p>DJL's {@code manager.create(float[])} wraps a direct buffer that only the returned
     * NDArray object keeps alive. A view of it (reshape, get, broadcast…) attached to another
     * manager outlives that object when its own manager closes, and then reads freed memory. Use
     * this for any array built from Java values that may leave its scope.
     */
    public static NDArray array(NDManager manager, float[] values, Shape shape) {
        return owned(manager.create(values, shape));
    }

    /**
     * A real copy of {@code a} on {@code device}. DJL's {@code toDevice(device, true)} returns the
     * same tensor under a new handle when the device does not change, which would make a
     * "replica" share storage and gradients with the original.
     */
    public static NDArray copyTo(NDArray a, ai.djl.Device device) {
        return noGrad(() -> a.getDevice().equals(device) ? a.duplicate() : a.toDevice(device, true));
    }

    /** A PyTorch-owned copy of {@code a} (see {@link #array}); {@code a} is closed. */
    public static NDArray owned(NDArray a) {
        NDArray copy = a.duplicate();
        a.close();
        return copy;
    }

    /**
     * True if a floating-point array holds no NaN and no infinity. The test runs on a scoped view,
     * so nothing is left attached to the array's (possibly long-lived) manager; it reads one
     * scalar back, so keep it out of hot loops.
     */
    public static boolean isFinite(NDArray a) {
        if (!a.getDataType().isFloating() || a.size() == 0) {
            return true;
        }
        try (NDManager scope = a.getManager().newSubManager(a.getDevice())) {
            NDArray view = viewIn(a, scope);
            return !view.isNaN().logicalOr(view.isInfinite()).any().getBoolean();
        }
    }

    /** Zeros with the dtype and device of {@code like}, attached to its manager. */
    public static NDArray zeros(NDArray like, Shape shape) {
        NDArray z = Precision.isBfloat16(like)
                ? Precision.cast(like.getManager().zeros(shape, DataType.FLOAT32), DataType.BFLOAT16)
                : like.getManager().zeros(shape, like.getDataType());
        return z.getDevice().equals(like.getDevice()) ? z : z.toDevice(like.getDevice(), false);
    }

    /** Zero-pads axes 1 and 2 of (B, H, W, C) at the bottom and right to (B, H+ph, W+pw, C). */
    public static NDArray padBottomRight(NDArray x, long padH, long padW) {
        if (padH == 0 && padW == 0) {
            return x;
        }
        Shape s = x.getShape();
        if (padH > 0) {
            x = NDArrays.concat(new NDList(x, zeros(x, new Shape(s.get(0), padH, s.get(2), s.get(3)))), 1);
        }
        if (padW > 0) {
            Shape t = x.getShape();
            x = NDArrays.concat(new NDList(x, zeros(x, new Shape(t.get(0), t.get(1), padW, t.get(3)))), 2);
        }
        return x;
    }

    /** Bytes of attention scores computed at once before {@link #attention} splits its queries into chunks. */
    static final long ATTENTION_CHUNK_BYTES = 28L << 20;

    /**
     * Scaled dot-product attention in PyTorch's math form, {@code softmax(q·kᵀ / √d)·v} over the
     * last two axes: q (..., Nq, d), k (..., Nk, d), v (..., Nk, dv) → (..., Nq, dv). SAM 2's
     * official code calls {@code F.scaled_dot_product_attention}; the engine has no fused kernel,
     * so this is its reference form with two changes that leave the math as it is: the queries are
     * scaled before the product (d values per query instead of Nk scores; exact when √d is a power
     * of two, else a rounding of the same size), and when the scores would exceed {@value
     * #ATTENTION_CHUNK_BYTES} bytes the queries are taken in chunks, each chunk's scores
     * freed before the next (docs/performance.md: SAM 2's memory attention at 1024 px holds 470 MB
     * of scores per layer unchunked, and spends most of its time faulting that memory in).
     */
    public static NDArray attention(NDArray q, NDArray k, NDArray v) {
        Shape qs = q.getShape();
        int dims = qs.dimension();
        long d = qs.get(dims - 1);
        long nq = qs.get(dims - 2);
        long nk = k.getShape().get(dims - 2);
        long batch = qs.size() / (nq * d);
        NDArray scaled = mul(q, 1 / Math.sqrt(d));
        NDArray transposed = k.swapAxes(dims - 2, dims - 1);
        // the engine's bfloat16 matmul copies a transposed operand on every call: copy it once
        NDArray kt = Precision.isBfloat16(k) ? transposed.reshape(-1).reshape(transposed.getShape()) : transposed;
        long rows = Math.max(1, ATTENTION_CHUNK_BYTES / (4 * Math.max(1, batch * nk)));
        if (rows >= nq) {
            return Precision.softmax(scaled.matMul(kt), -1).matMul(v);
        }
        NDList parts = new NDList();
        String lead = ":, ".repeat(dims - 2);
        for (long start = 0; start < nq; start += rows) {
            NDArray chunk = scaled.get(lead + start + ":" + Math.min(nq, start + rows) + ", :");
            parts.add(scoped(chunk, c -> Precision.softmax(c.matMul(kt), -1).matMul(v)));
        }
        return NDArrays.concat(parts, dims - 2);
    }

    /**
     * {@code F.interpolate(x, (outH, outW), mode="bilinear", align_corners=False)} for x (N, C, H,
     * W) as the PyTorch of the reference implementations (1.13) computes it: the scale in float32,
     * each output's source position in double, its two weights rounded to float32 — two rows of a
     * matrix per axis, applied as two products. The engine's own kernel (PyTorch 2.3) places the
     * source in float32; on SAM 2's logits, whose neighbouring values differ by several units,
     * that moved the resized masks by 2e-5 from the official ones, against 4e-6 here.
     * Differentiable.
     */
    public static NDArray resizeBilinear(NDArray x, int outH, int outW) {
        Shape s = x.getShape();
        int h = (int) s.get(s.dimension() - 2);
        int w = (int) s.get(s.dimension() - 1);
        if (h == outH && w == outW) {
            return x;
        }
        NDArray rows = array(x.getManager(), bilinearWeights(h, outH), new Shape(outH, h)).toDevice(x.getDevice(), false);
        NDArray cols = array(x.getManager(), bilinearWeights(w, outW), new Shape(outW, w)).toDevice(x.getDevice(), false);
        NDArray y = h == outH ? x : rows.matMul(x);
        return w == outW ? y : y.matMul(cols.transpose());
    }

    /** Row-major (out, in) weights of PyTorch 1.13's linear interpolation along one axis (align_corners=False). */
    static float[] bilinearWeights(int in, int out) {
        float[] m = new float[out * in];
        float scale = (float) in / out;
        for (int o = 0; o < out; o++) {
            if (in == out) {
                m[o * in + o] = 1f;
                continue;
            }
            double src = Math.max(scale * (o + 0.5) - 0.5, 0.0);
            int i0 = (int) src;
            int i1 = i0 < in - 1 ? i0 + 1 : i0;
            float lambda1 = (float) Math.min(Math.max(src - i0, 0.0), 1.0);
            float lambda0 = 1f - lambda1;
            m[o * in + i0] += lambda0;
            m[o * in + i1] += lambda1;
        }
        return m;
    }

    /**
     * {@code F.interpolate(x, (outH, outW), mode="bilinear", align_corners=False, antialias=True)}
     * for x (N, C, H, W): PyTorch's separable triangle filter, widened by the scale factor when
     * shrinking, with its weights computed in float as PyTorch computes them, applied as two
     * matrix products (rows, then columns). Equal to PyTorch's up to float summation order.
     */
    public static NDArray resizeAntialiased(NDArray x, int outH, int outW) {
        Shape s = x.getShape();
        int h = (int) s.get(2);
        int w = (int) s.get(3);
        NDArray rows = array(x.getManager(), antialiasWeights(h, outH), new Shape(outH, h)).toDevice(x.getDevice(), false);
        NDArray cols = array(x.getManager(), antialiasWeights(w, outW), new Shape(outW, w)).toDevice(x.getDevice(), false);
        return rows.matMul(x).matMul(cols.transpose());
    }

    /** Row-major (out, in) weights of PyTorch's antialiased linear filter along one axis. */
    static float[] antialiasWeights(int in, int out) {
        float scale = (float) in / out;
        float support = scale >= 1f ? scale : 1f;
        float invScale = scale >= 1f ? 1f / scale : 1f;
        float[] m = new float[out * in];
        for (int i = 0; i < out; i++) {
            float center = scale * (i + 0.5f);
            int xmin = Math.max((int) (center - support + 0.5f), 0);
            int xsize = Math.min((int) (center + support + 0.5f), in) - xmin;
            float total = 0f;
            float[] w = new float[Math.max(xsize, 0)];
            for (int j = 0; j < xsize; j++) {
                float t = Math.abs((j + xmin - center + 0.5f) * invScale);
                w[j] = t < 1f ? 1f - t : 0f;
                total += w[j];
            }
            for (int j = 0; j < xsize; j++) {
                m[i * in + xmin + j] = total != 0f ? w[j] / total : 0f;
            }
        }
        return m;
    }

    /**
     * SAM's window partition: (B, H, W, C) zero-padded to multiples of {@code ws}, then cut into
     * (B·nH·nW, ws, ws, C) windows, window column varying fastest.
     */
    public static NDArray windowPartition(NDArray x, int ws) {
        Shape s = x.getShape();
        long b = s.get(0);
        long h = s.get(1);
        long w = s.get(2);
        long c = s.get(3);
        long ph = (ws - h % ws) % ws;
        long pw = (ws - w % ws) % ws;
        x = padBottomRight(x, ph, pw);
        long hp = h + ph;
        long wp = w + pw;
        return x.reshape(b, hp / ws, ws, wp / ws, ws, c).transpose(0, 1, 3, 2, 4, 5).reshape(-1, ws, ws, c);
    }

    /** Inverse of {@link #windowPartition}: back to (B, H, W, C), dropping the padding. */
    public static NDArray windowUnpartition(NDArray windows, int ws, long h, long w) {
        long hp = h + (ws - h % ws) % ws;
        long wp = w + (ws - w % ws) % ws;
        long c = windows.getShape().get(3);
        long b = windows.getShape().get(0) / ((hp / ws) * (wp / ws));
        NDArray x = windows.reshape(b, hp / ws, wp / ws, ws, ws, c).transpose(0, 1, 3, 2, 4, 5).reshape(b, hp, wp, c);
        if (hp > h || wp > w) {
            x = x.get(":, :" + h + ", :" + w + ", :");
        }
        return x;
    }
}
