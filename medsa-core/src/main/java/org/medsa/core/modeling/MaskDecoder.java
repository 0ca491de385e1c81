package org.medsa.core.modeling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.medsa.core.MedsaException;
import org.medsa.core.nn.ActivationBlock;
import org.medsa.core.nn.Embedding;
import org.medsa.core.nn.LayerNorm2d;
import org.medsa.core.nn.Mlp;
import org.medsa.core.nn.MlpHead;
import org.medsa.core.nn.ModuleList;
import org.medsa.core.nn.TorchBlock;
import org.medsa.core.nn.TransposedConv2x2;

import java.util.List;

/**
 * SAM's mask decoder (spec §A.4): output tokens + prompt tokens through the two-way transformer,
 * upscaled image features, one hypernetwork MLP per mask token, and the IoU head. Children {@code
 * transformer}, {@code iou_token}, {@code mask_tokens}, {@code output_upscaling.0-4}, {@code
 * output_hypernetworks_mlps.i}, {@code iou_prediction_head}.
 */
public class MaskDecoder extends TorchBlock {

    /** Low-res mask logits (B, C, 4h, 4w) and predicted IoUs (B, C); all tokens' when unselected. */
    public record Output(NDArray masks, NDArray iouPredictions, NDArray queries, NDArray keys) {}

    /** The decoder's arguments. */
    protected final SamConfig.MaskDecoder cfg;
    /** Number of mask tokens (num_multimask_outputs + 1 in SAM). */
    protected final int numMaskTokens;
    private final TwoWayTransformer transformer;
    private final Embedding iouToken;
    private final Embedding maskTokens;
    private final ModuleList<Block> outputUpscaling;
    private final ModuleList<MlpHead> hypernetworks;
    private final MlpHead iouHead;

    /** SAM's decoder: its two-way transformer and num_multimask_outputs + 1 mask tokens. */
    public MaskDecoder(SamConfig.MaskDecoder cfg) {
        this(cfg, new TwoWayTransformer(cfg.transformer), cfg.numMultimaskOutputs + 1);
    }

    /** With another transformer or token count (Med-SA). */
    protected MaskDecoder(SamConfig.MaskDecoder cfg, TwoWayTransformer transformer, int numMaskTokens) {
        this.cfg = cfg;
        int d = cfg.transformerDim;
        this.numMaskTokens = numMaskTokens;
        this.transformer = child("transformer", transformer);
        this.iouToken = child("iou_token", new Embedding(1, d));
        this.maskTokens = child("mask_tokens", new Embedding(numMaskTokens, d));
        this.outputUpscaling = child("output_upscaling", new ModuleList<>());
        outputUpscaling.add(new TransposedConv2x2(d, d / 4));
        outputUpscaling.add(new LayerNorm2d(d / 4));
        outputUpscaling.add(new ActivationBlock(Mlp.Activation.GELU));
        outputUpscaling.add(new TransposedConv2x2(d / 4, d / 8));
        outputUpscaling.add(new ActivationBlock(Mlp.Activation.GELU));
        this.hypernetworks = child("output_hypernetworks_mlps", new ModuleList<>());
        for (int i = 0; i < numMaskTokens; i++) {
            hypernetworks.add(new MlpHead(d, d, d / 8, 3, false));
        }
        this.iouHead = child("iou_prediction_head", new MlpHead(d, cfg.iouHeadHiddenDim, numMaskTokens, cfg.iouHeadDepth, false));
    }

    /** The two-way transformer. */
    public TwoWayTransformer transformer() {
        return transformer;
    }

    /** Number of mask tokens (num_multimask_outputs + 1 in SAM). */
    public int numMaskTokens() {
        return numMaskTokens;
    }

    /**
     * Predicts masks for B prompt sets.
     *
     * @param image (1 or B, C, h, w) image embeddings; one image is shared by all prompt sets
     * @param imagePe (1, C, h, w) dense positional encoding
     * @param sparse (B, T, C) and {@code dense} (B, C, h, w) prompt embeddings
     * @param multimask SAM's flag: masks 1..3 if true, mask 0 if false
     */
    public Output forward(ParameterStore ps, NDArray image, NDArray imagePe, NDArray sparse, NDArray dense,
            boolean multimask, PromptContext context, boolean training) {
        Output all = predictMasks(ps, image, imagePe, sparse, dense, context, training);
        return selectOutputs(all, multimask);
    }

    /** SAM's rule: multimask → tokens 1.., else token 0. Med-SA's code overrides it. */
    protected Output selectOutputs(Output all, boolean multimask) {
        String slice = multimask ? "1:" : "0:1";
        return new Output(all.masks().get(":, " + slice), all.iouPredictions().get(":, " + slice),
                all.queries(), all.keys());
    }

    /** All mask tokens' logits and IoU predictions. */
    public Output predictMasks(ParameterStore ps, NDArray image, NDArray imagePe, NDArray sparse, NDArray dense,
            PromptContext context, boolean training) {
        long bp = sparse.getShape().get(0);
        long bi = image.getShape().get(0);
        NDArray output = NDArrays.concat(new NDList(iouToken.table(ps, sparse, training), maskTokens.table(ps, sparse, training)), 0);
        long batch = Math.max(bp, bi);
        if (bp != bi && bp != 1 && bi != 1) {
            throw new MedsaException("the decoder got " + bi + " image embeddings for " + bp
                    + " prompt sets; give one image, or one prompt set per image");
        }
        NDArray tokens = NDArrays.concat(new NDList(
                output.expandDims(0).broadcast(new Shape(bp, output.getShape().get(0), output.getShape().get(1))), sparse), 1);
        if (bp < batch) {
            tokens = tokens.broadcast(new Shape(batch, tokens.getShape().get(1), tokens.getShape().get(2)));
        }
        NDArray src = bi < batch ? image.broadcast(new Shape(batch, image.getShape().get(1), image.getShape().get(2), image.getShape().get(3))) : image;
        src = src.add(dense);
        NDArray posSrc = imagePe.getShape().get(0) == batch ? imagePe
                : imagePe.broadcast(new Shape(batch, imagePe.getShape().get(1), imagePe.getShape().get(2), imagePe.getShape().get(3)));
        long c = src.getShape().get(1);
        long h = src.getShape().get(2);
        long w = src.getShape().get(3);

        TwoWayAttentionBlock.State s = transformer.forward(ps, src, posSrc, tokens, context, training);
        NDArray hs = s.queries();
        NDArray iouTokenOut = hs.get(":, 0, :");
        NDArray maskTokensOut = hs.get(":, 1:" + (1 + numMaskTokens) + ", :");

        NDArray up = upscale(ps, s.keys().reshape(batch, h, w, c), training); // (B, h, w, i1, j1, i2, j2, C/8)
        NDList hyper = new NDList();
        for (int i = 0; i < numMaskTokens; i++) {
            hyper.add(hypernetworks.get(i).forward(ps, maskTokensOut.get(":, " + i + ", :"), training));
        }
        NDArray hyperIn = NDArrays.stack(hyper, 1); // (B, T, C/8)
        long c8 = up.getShape().get(7);
        // one product per output pixel, then the only pixel shuffle, on the T mask channels:
        // row 4y + 2·i1 + i2, column 4x + 2·j1 + j2
        NDArray masks = hyperIn.matMul(up.reshape(batch, h * w * 16, c8).transpose(0, 2, 1))
                .reshape(batch, numMaskTokens, h, w, 2, 2, 2, 2)
                .transpose(0, 1, 2, 4, 6, 3, 5, 7)
                .reshape(batch, numMaskTokens, 4 * h, 4 * w);
        NDArray iou = iouHead.forward(ps, iouTokenOut, training);
        return new Output(masks, iou, hs, s.keys());
    }

    /**
     * SAM's output_upscaling (transposed conv, LayerNorm2d, GELU, transposed conv, GELU) on
     * channel-last image tokens (B, h, w, C) → (B, h, w, i1, j1, i2, j2, C/8), output pixel
     * (4y + 2·i1 + i2, 4x + 2·j1 + j2): the same layers and weights as the NCHW Sequential. Every
     * layer acts per pixel, so the pixels stay unshuffled and no transpose or copy of the upscaled
     * features is made (decoding a click spent a fifth of its time in them).
     */
    private NDArray upscale(ParameterStore ps, NDArray x, boolean training) {
        List<Block> layers = outputUpscaling.items();
        x = ((TransposedConv2x2) layers.get(0)).forwardPixels(ps, x, training);
        x = ((LayerNorm2d) layers.get(1)).forwardChannelsLast(ps, x, training);
        x = Mlp.Activation.GELU.apply(x);
        x = ((TransposedConv2x2) layers.get(3)).forwardPixels(ps, x, training);
        return Mlp.Activation.GELU.apply(x);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> params) {
        boolean multimask = params != null && Boolean.TRUE.equals(params.get("multimask_output"));
        Output o = forward(ps, in.get(0), in.get(1), in.get(2), in.get(3), multimask, null, training);
        return new NDList(o.masks(), o.iouPredictions());
    }
}
