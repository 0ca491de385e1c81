package org.medsa.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.function.UnaryOperator;

/**
 * The half-precision rules of the frozen image encoder ({@code ImageEncoderViT.halfPrecision}):
 * activations and frozen weights in float16 (weights are cast where they are used, see {@link
 * TorchBlock#value}); LayerNorm statistics, the attention softmax and the adapters in float32.
 * The engine has float16 but no bfloat16 and no autocast, so each of these places casts
 * explicitly. On float32 inputs every method is the plain operation.
 */
public final class Precision {

    private Precision() {
    }

    /** True for a float16 activation. */
    public static boolean isHalf(NDArray x) {
        return x.getDataType() == DataType.FLOAT16;
    }

    /** {@code work} on x in float32, the result back in x's type (float16 stays float16). */
    public static NDArray inFloat32(NDArray x, UnaryOperator<NDArray> work) {
        if (!isHalf(x)) {
            return work.apply(x);
        }
        return cast(work.apply(cast(x, DataType.FLOAT32)), DataType.FLOAT16);
    }

    /**
     * x in {@code type}, differentiably while gradients are recorded. DJL's {@code toType} detaches
     * its result from the graph (a float16 block would pass no gradient to the float32 adapters
     * before it); PyTorch's cumprod with a dtype casts inside the graph, and over a new axis of
     * size one it is the identity. Without gradient recording it is a plain cast.
     */
    public static NDArray cast(NDArray x, DataType type) {
        if (x.getDataType() == type) {
            return x;
        }
        if (!(x instanceof PtNDArray pt) || !JniUtils.isGradMode()) {
            return x.toType(type, false);
        }
        return JniUtils.cumProd((PtNDArray) pt.expandDims(-1), -1, type).squeeze(-1);
    }

    /** Softmax over {@code axis}, computed in float32 for float16 scores. */
    public static NDArray softmax(NDArray scores, int axis) {
        return inFloat32(scores, s -> s.softmax(axis));
    }
}
