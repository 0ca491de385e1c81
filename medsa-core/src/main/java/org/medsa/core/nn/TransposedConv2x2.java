package org.medsa.core.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.Arrays;

/**
 * {@code torch.nn.ConvTranspose2d(in, out, kernel_size=2, stride=2)} without deconvolution, which
 * DJL's PyTorch engine does not implement. With kernel = stride = 2 the output windows do not
 * overlap, so the layer is exactly a per-pixel linear map in → out·2·2 followed by a pixel
 * shuffle: {@code y[b, o, 2h+i, 2w+j] = Σ_c x[b, c, h, w] · W[c, o, i, j] + bias[o]}.
 * The weight keeps PyTorch's ConvTranspose layout (in, out, 2, 2), so checkpoints load as is.
 */
public class TransposedConv2x2 extends TorchBlock {

    private final long in;
    private final long out;
    private final Parameter weight;
    private final Parameter bias;

    /** A 2×2, stride-2 transposed convolution from {@code in} to {@code out} channels, initialised as PyTorch's. */
    public TransposedConv2x2(long in, long out) {
        this.in = in;
        this.out = out;
        // PyTorch computes fan_in of a transposed conv from weight.size(1) * k * k = out * 4.
        long fanIn = out * 4;
        this.weight = param("weight", new Shape(in, out, 2, 2), Inits.uniformFanIn(fanIn));
        this.bias = param("bias", new Shape(out), Inits.uniformFanIn(fanIn));
    }

    /** x: (B, in, H, W) → (B, out, 2H, 2W): {@link #forwardPixels} on channel-last pixels, then the shuffle. */
    public NDArray forward(ParameterStore ps, NDArray x, boolean training) {
        long b = x.getShape().get(0);
        long h = x.getShape().get(2);
        long w = x.getShape().get(3);
        return forwardPixels(ps, x.transpose(0, 2, 3, 1), training) // (B, H, W, i, j, out)
                .transpose(0, 5, 1, 3, 2, 4)
                .reshape(b, out, 2 * h, 2 * w);
    }

    /**
     * The layer without the pixel shuffle, x: (..., in) → (..., 2, 2, out), element [..., i, j, o]
     * being output pixel (2h + i, 2w + j): one fused matmul-plus-bias with the kernel's columns
     * ordered (i, j, out). Per-pixel layers that follow (norms, activations, another such layer) can
     * keep this layout and leave the shuffle to the end.
     */
    public NDArray forwardPixels(ParameterStore ps, NDArray x, boolean training) {
        // weight (in, out, i, j) -> linear weight (i·j·out, in)
        NDArray kernel = value(ps, weight, x, training).transpose(2, 3, 1, 0).reshape(4 * out, in);
        NDArray bias4 = value(ps, bias, x, training).reshape(1, out).repeat(0, 4).reshape(4 * out);
        NDArray y = Linear.linear(x, kernel, bias4).singletonOrThrow(); // (..., 2·2·out)
        long[] dims = y.getShape().getShape();
        long[] split = Arrays.copyOf(dims, dims.length + 2);
        split[dims.length - 1] = 2;
        split[dims.length] = 2;
        split[dims.length + 1] = out;
        return y.reshape(split);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, inputs.singletonOrThrow(), training));
    }
}
