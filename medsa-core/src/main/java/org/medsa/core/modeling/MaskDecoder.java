package org.medsa.core.modeling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.List;
import org.medsa.core.MedsaException;
import org.medsa.core.nn.ActivationBlock;
import org.medsa.core.nn.Embedding;
import org.medsa.core.nn.LayerNorm2d;
import org.medsa.core.nn.Mlp;
import org.medsa.core.nn.MlpHead;
import org.medsa.core.nn.ModuleList;
import org.medsa.core.nn.TorchBlock;
import org.medsa.core.nn.TransposedConv2x2;

/**
 * SAM's mask decoder (docs/model.md, "Mask decoder"): output tokens + prompt tokens through the two-way transformer,
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
        return decode(ps, image, imagePe, sparse, dense, selectedTokens(multimask), context, training);
    }

    /**
     * The mask tokens whose masks and IoUs are returned, {from, to}: SAM's rule is tokens 1..n−1
     * with multimask, else token 0. Med-SA's code overrides it.
     */
    protected int[] selectedTokens(boolean multimask) {
        return multimask ? new int[] {1, numMaskTokens} : new int[] {0, 1};
    }

    /** All mask tokens' logits and IoU predictions. */
    public Output predictMasks(ParameterStore ps, NDArray image, NDArray imagePe, NDArray sparse, NDArray dense,
            PromptContext context, boolean training) {
        return decode(ps, image, imagePe, sparse, dense, new int[] {0, numMaskTokens}, context, training);
    }

    /**
     * What the decoder computes from one image and one dense prompt embedding alone, once for any
     * number of sparse prompts decoded against them: image + dense as tokens, their positional
     * encoding, and the first block's projections of them (see {@link
     * TwoWayTransformer#prepare}). In the interactive path the dense embedding is SAM's no-mask
     * embedding, the same for every click, and each click then skips three of the ten products
     * over the image tokens.
     */
    public record PreparedImage(TwoWayTransformer.PreparedImage transformer, long height, long width) {
        /** The same arrays as views owned by {@code manager} (see {@link org.medsa.core.nn.Ops#viewIn}). */
        public PreparedImage viewIn(NDManager manager) {
            return new PreparedImage(transformer.viewIn(manager), height, width);
        }
    }

    /**
     * Prepares one image for {@link #forward(ParameterStore, PreparedImage, NDArray, boolean,
     * PromptContext, boolean)}.
     *
     * @param image (1, C, h, w) embedding; {@code imagePe} (1, C, h, w); {@code dense} (1, C, h, w)
     */
    public PreparedImage prepareImage(ParameterStore ps, NDArray image, NDArray imagePe, NDArray dense, boolean training) {
        if (image.getShape().get(0) != 1 || dense.getShape().get(0) != 1) {
            throw new MedsaException("an image is prepared for decoding one at a time, with one dense prompt embedding; got "
                    + image.getShape() + " and " + dense.getShape());
        }
        return new PreparedImage(transformer.prepare(ps, image.add(dense), imagePe, training), image.getShape().get(2),
                image.getShape().get(3));
    }

    /**
     * {@link #forward(ParameterStore, NDArray, NDArray, NDArray, NDArray, boolean, PromptContext,
     * boolean) forward} for B prompt sets {@code sparse} (B, T, C) against a prepared image, with
     * the dense embedding it was prepared with: equal up to float rounding.
     */
    public Output forward(ParameterStore ps, PreparedImage image, NDArray sparse, boolean multimask, PromptContext context,
            boolean training) {
        NDArray tokens = tokens(ps, sparse, sparse.getShape().get(0), training);
        TwoWayAttentionBlock.State s = transformer.forward(ps, image.transformer(), tokens, context, training);
        return heads(ps, s, image.height(), image.width(), selectedTokens(multimask), training);
    }

    private Output decode(ParameterStore ps, NDArray image, NDArray imagePe, NDArray sparse, NDArray dense, int[] selected,
            PromptContext context, boolean training) {
        long bp = sparse.getShape().get(0);
        long bi = image.getShape().get(0);
        long batch = Math.max(bp, bi);
        if (bp != bi && bp != 1 && bi != 1) {
            throw new MedsaException("the decoder got " + bi + " image embeddings for " + bp
                    + " prompt sets; give one image, or one prompt set per image");
        }
        NDArray tokens = tokens(ps, sparse, batch, training);
        NDArray src = bi < batch
                ? image.broadcast(new Shape(batch, image.getShape().get(1), image.getShape().get(2), image.getShape().get(3)))
                        : image;
        src = src.add(dense);
        NDArray posSrc = imagePe.getShape().get(0) == batch ? imagePe
                : imagePe.broadcast(new Shape(batch, imagePe.getShape().get(1), imagePe.getShape().get(2), imagePe.getShape()
                        .get(3)));
        TwoWayAttentionBlock.State s = transformer.forward(ps, src, posSrc, tokens, context, training);
        return heads(ps, s, src.getShape().get(2), src.getShape().get(3), selected, training);
    }

    /** The output tokens (IoU, masks) before the prompt tokens, (batch, 1 + n + T, C). */
    private NDArray tokens(ParameterStore ps, NDArray sparse, long batch, boolean training) {
        long bp = sparse.getShape().get(0);
        NDArray output = NDArrays.concat(new NDList(iouToken.table(ps, sparse, training),
                maskTokens.table(ps, sparse, training)), 0);
        NDArray tokens = NDArrays.concat(new NDList(
                output.expandDims(0).broadcast(new Shape(bp, output.getShape().get(0), output.getShape().get(1))), sparse), 1);
        if (bp < batch) {
            tokens = tokens.broadcast(new Shape(batch, tokens.getShape().get(1), tokens.getShape().get(2)));
        }
        return tokens;
    }

    /**
     * Masks of the mask tokens {@code selected} = {from, to} from the upscaled image tokens and
     * their hypernetworks (only those: the others' masks would be discarded), and their IoUs.
     */
    private Output heads(ParameterStore ps, TwoWayAttentionBlock.State s, long h, long w, int[] selected, boolean training) {
        NDArray hs = s.queries();
        long batch = hs.getShape().get(0);
        long c = hs.getShape().get(2);
        NDArray iouTokenOut = hs.get(":, 0, :");
        NDArray up = upscale(ps, s.keys().reshape(batch, h, w, c), training); // (B, h, w, i1, j1, i2, j2, C/8)
        NDList hyper = new NDList();
        for (int i = selected[0]; i < selected[1]; i++) {
            hyper.add(hypernetworks.get(i).forward(ps, hs.get(":, " + (1 + i) + ", :"), training));
        }
        NDArray hyperIn = NDArrays.stack(hyper, 1); // (B, n, C/8)
        long n = selected[1] - selected[0];
        long c8 = up.getShape().get(7);
        // one product per output pixel, then the only pixel shuffle, on the n mask channels:
        // row 4y + 2·i1 + i2, column 4x + 2·j1 + j2
        NDArray masks = hyperIn.matMul(up.reshape(batch, h * w * 16, c8).transpose(0, 2, 1))
                .reshape(batch, n, h, w, 2, 2, 2, 2)
                .transpose(0, 1, 2, 4, 6, 3, 5, 7)
                .reshape(batch, n, 4 * h, 4 * w);
        NDArray iou = iouHead.forward(ps, iouTokenOut, training).get(":, " + selected[0] + ":" + selected[1]);
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
