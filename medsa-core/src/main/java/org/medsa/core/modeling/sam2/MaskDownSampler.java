package org.medsa.core.modeling.sam2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.medsa.core.nn.ActivationBlock;
import org.medsa.core.nn.Conv2d;
import org.medsa.core.nn.LayerNorm2d;
import org.medsa.core.nn.Mlp;
import org.medsa.core.nn.ModuleList;
import org.medsa.core.nn.TorchBlock;

/**
 * The memory encoder's mask downsampler ({@code MaskDownSampler}): strided convolutions, each
 * followed by LayerNorm2d and GELU, multiplying the channels by stride² while dividing the side by
 * the stride, until the total stride; then a 1×1 convolution to the pixel features' width.
 * Children {@code encoder.0-n} (the official {@code nn.Sequential}).
 */
public class MaskDownSampler extends TorchBlock {

    private final ModuleList<Block> encoder;

    /** The downsampler for {@code cfg} ending in {@code embedDim} channels. */
    public MaskDownSampler(Sam2Config.MaskDownsampler cfg, int embedDim) {
        this.encoder = child("encoder", new ModuleList<>());
        int layers = (int) Math.round(Math.log(cfg.totalStride) / Math.log(cfg.stride));
        long in = 1;
        long out = 1;
        for (int i = 0; i < layers; i++) {
            out = in * cfg.stride * cfg.stride;
            encoder.add(new Conv2d(in, out, cfg.kernelSize, cfg.stride, cfg.padding, true));
            encoder.add(new LayerNorm2d(out, 1e-6));
            encoder.add(new ActivationBlock(Mlp.Activation.GELU));
            in = out;
        }
        encoder.add(new Conv2d(out, embedDim, 1, 1, 0, true));
    }

    /** (B, 1, S, S) mask → (B, embed_dim, S / total_stride, S / total_stride). */
    public NDArray forward(ParameterStore ps, NDArray mask, boolean training) {
        return encoder.forward(ps, new NDList(mask), training, null).singletonOrThrow();
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, inputs.singletonOrThrow(), training));
    }
}
