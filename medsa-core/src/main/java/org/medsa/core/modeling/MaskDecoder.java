package org.medsa.core.modeling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.List;
import org.medsa.core.MedsaException;
import org.medsa.core.nn.ActivationBlock;
import org.medsa.core.nn.Conv2d;
import org.medsa.core.nn.Embedding;
import org.medsa.core.nn.LayerNorm2d;
import org.medsa.core.nn.Linear;
import org.medsa.core.nn.Mlp;
import org.medsa.core.nn.MlpHead;
import org.medsa.core.nn.ModuleList;
import org.medsa.core.nn.Ops;
import org.medsa.core.nn.TorchBlock;
import org.medsa.core.nn.TransposedConv2x2;

/**
 * SAM's mask decoder (docs/model.md, "Mask decoder"): output tokens + prompt tokens through the two-way transformer,
 * upscaled image features, one hypernetwork MLP per mask token, and the IoU head. Children {@code
 * transformer}, {@code iou_token}, {@code mask_tokens}, {@code output_upscaling.0-4}, {@code
 * output_hypernetworks_mlps.i}, {@code iou_prediction_head}.
 *
 * <p>SAM 2's decoder is the same block with its options on (docs/sam2.md): an object-score token
 * ({@code obj_score_token}, first among the output tokens) and head ({@code pred_obj_score_head});
 * the stride-8 and stride-4 image features added inside the upscaling ({@code conv_s1}, {@code
 * conv_s0}); a sigmoid on the IoU head; a single-mask output that falls back to the best of the
 * three masks when unstable; and the mask tokens' outputs returned (SAM 2's object pointers).
 */
public class MaskDecoder extends TorchBlock {

    /**
     * Low-res mask logits (B, C, 4h, 4w) and predicted IoUs (B, C); all tokens' when unselected.
     *
     * @param objectScoreLogits (B, 1) whether the object is present (SAM 2; 10 when not predicted)
     * @param samTokens (B, C', d) the selected mask tokens' outputs: the three multimask tokens
     *     with SAM 2's {@code use_multimask_token_for_obj_ptr} and multimask output, else token 0
     */
    public record Output(NDArray masks, NDArray iouPredictions, NDArray queries, NDArray keys, NDArray objectScoreLogits,
            NDArray samTokens) {}

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
    private final Embedding objScoreToken;
    private final Conv2d convS0;
    private final Conv2d convS1;
    private final TorchBlock objScoreHead;

    /** SAM's decoder: its two-way transformer and num_multimask_outputs + 1 mask tokens. */
    public MaskDecoder(SamConfig.MaskDecoder cfg) {
        this(cfg, new TwoWayTransformer(cfg.transformer), cfg.numMultimaskOutputs + 1);
    }

    /** The decoder around another transformer (SAM 2's, whose blocks name their MLP layers differently). */
    public MaskDecoder(SamConfig.MaskDecoder cfg, TwoWayTransformer transformer) {
        this(cfg, transformer, cfg.numMultimaskOutputs + 1);
    }

    /** With another transformer or token count (Med-SA). */
    protected MaskDecoder(SamConfig.MaskDecoder cfg, TwoWayTransformer transformer, int numMaskTokens) {
        this.cfg = cfg;
        int d = cfg.transformerDim;
        this.numMaskTokens = numMaskTokens;
        this.transformer = child("transformer", transformer);
        this.iouToken = child("iou_token", new Embedding(1, d));
        this.maskTokens = child("mask_tokens", new Embedding(numMaskTokens, d));
        this.objScoreToken = cfg.predObjScores ? child("obj_score_token", new Embedding(1, d)) : null;
        this.outputUpscaling = child("output_upscaling", new ModuleList<>());
        outputUpscaling.add(new TransposedConv2x2(d, d / 4));
        outputUpscaling.add(new LayerNorm2d(d / 4));
        outputUpscaling.add(new ActivationBlock(Mlp.Activation.GELU));
        outputUpscaling.add(new TransposedConv2x2(d / 4, d / 8));
        outputUpscaling.add(new ActivationBlock(Mlp.Activation.GELU));
        this.convS0 = cfg.useHighResFeatures ? child("conv_s0", new Conv2d(d, d / 8, 1, 1, 0, true)) : null;
        this.convS1 = cfg.useHighResFeatures ? child("conv_s1", new Conv2d(d, d / 4, 1, 1, 0, true)) : null;
        this.hypernetworks = child("output_hypernetworks_mlps", new ModuleList<>());
        for (int i = 0; i < numMaskTokens; i++) {
            hypernetworks.add(new MlpHead(d, d, d / 8, 3, false));
        }
        this.iouHead = child("iou_prediction_head", new MlpHead(d, cfg.iouHeadHiddenDim, numMaskTokens, cfg.iouHeadDepth,
                cfg.iouPredictionUseSigmoid));
        this.objScoreHead = !cfg.predObjScores ? null
                : child("pred_obj_score_head", cfg.predObjScoresMlp ? new MlpHead(d, d, 1, 3, false)
                        : new Linear(d, 1));
    }

    /** The decoder's arguments. */
    public SamConfig.MaskDecoder config() {
        return cfg;
    }

    /**
     * SAM 2's projections of the stride-4 and stride-8 image features ({@code conv_s0}, {@code
     * conv_s1}), which {@code forward_image} applies once per image: (B, d, 4h, 4w) → (B, d/8, 4h,
     * 4w) and (B, d, 2h, 2w) → (B, d/4, 2h, 2w).
     *
     * @throws MedsaException if the decoder has no high-resolution path
     */
    public NDArray[] projectHighRes(ParameterStore ps, NDArray stride4, NDArray stride8, boolean training) {
        if (convS0 == null) {
            throw new MedsaException("this mask decoder does not use high-resolution features");
        }
        return new NDArray[] {convS0.forward(ps, stride4, training), convS1.forward(ps, stride8, training)};
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
        return forward(ps, image, imagePe, sparse, dense, multimask, null, context, training);
    }

    /**
     * As above, with SAM 2's high-resolution features: {@code highRes} = {stride-4 (B, d/8, 4h, 4w),
     * stride-8 (B, d/4, 2h, 2w)} already projected ({@link #projectHighRes}), or null.
     */
    public Output forward(ParameterStore ps, NDArray image, NDArray imagePe, NDArray sparse, NDArray dense,
            boolean multimask, NDArray[] highRes, PromptContext context, boolean training) {
        if ((highRes != null) != cfg.useHighResFeatures) {
            throw new MedsaException(cfg.useHighResFeatures ? "this mask decoder needs the high-resolution features"
                    : "this mask decoder has no high-resolution path");
        }
        boolean dynamic = !multimask && cfg.dynamicMultimaskViaStability && !training;
        Output o = decode(ps, image, imagePe, sparse, dense, dynamic ? new int[] {0, numMaskTokens} : selectedTokens(multimask),
                highRes, context, training);
        if (dynamic) {
            o = dynamicSingleMask(o);
        }
        return o;
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
        return decode(ps, image, imagePe, sparse, dense, new int[] {0, numMaskTokens}, null, context, training);
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
        if (cfg.useHighResFeatures) {
            throw new MedsaException("a decoder with high-resolution features decodes through forward, not a prepared image");
        }
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
        return heads(ps, s, image.height(), image.width(), selectedTokens(multimask), null, multimask, training);
    }

    private Output decode(ParameterStore ps, NDArray image, NDArray imagePe, NDArray sparse, NDArray dense, int[] selected,
            NDArray[] highRes, PromptContext context, boolean training) {
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
        return heads(ps, s, src.getShape().get(2), src.getShape().get(3), selected, highRes, selected[0] > 0, training);
    }

    /** Output tokens before the mask tokens: SAM 2's object-score token. */
    private int tokenOffset() {
        return objScoreToken != null ? 1 : 0;
    }

    /** The output tokens ([object score,] IoU, masks) before the prompt tokens, (batch, 1 + n + T, C). */
    private NDArray tokens(ParameterStore ps, NDArray sparse, long batch, boolean training) {
        long bp = sparse.getShape().get(0);
        NDList parts = new NDList();
        if (objScoreToken != null) {
            parts.add(objScoreToken.table(ps, sparse, training));
        }
        parts.add(iouToken.table(ps, sparse, training));
        parts.add(maskTokens.table(ps, sparse, training));
        NDArray output = NDArrays.concat(parts, 0);
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
    private Output heads(ParameterStore ps, TwoWayAttentionBlock.State s, long h, long w, int[] selected, NDArray[] highRes,
            boolean multimaskTokens, boolean training) {
        NDArray hs = s.queries();
        long batch = hs.getShape().get(0);
        long c = hs.getShape().get(2);
        int off = tokenOffset();
        NDArray iouTokenOut = hs.get(":, " + off + ", :");
        NDArray up = upscale(ps, s.keys().reshape(batch, h, w, c), highRes, training); // (B, h, w, i1, j1, i2, j2, C/8)
        NDList hyper = new NDList();
        for (int i = selected[0]; i < selected[1]; i++) {
            hyper.add(hypernetworks.get(i).forward(ps, hs.get(":, " + (off + 1 + i) + ", :"), training));
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
        NDArray objectScore = objScoreHead != null ? run(objScoreHead, ps, hs.get(":, 0, :"), training)
                : Ops.mul(iou.get(":, :1").onesLike(), 10.0);
        // SAM 2 takes the single-mask token for the object pointer unless it asks for the multimask ones
        NDArray samTokens = multimaskTokens && cfg.useMultimaskTokenForObjPtr
                ? hs.get(":, " + (off + 2) + ":" + (off + 1 + numMaskTokens) + ", :")
                : hs.get(":, " + (off + 1) + ":" + (off + 2) + ", :");
        return new Output(masks, iou, hs, s.keys(), objectScore, samTokens);
    }

    /**
     * SAM 2's single-mask output: token 0's mask, unless its stability score (the IoU of the mask
     * at logit thresholds +δ and −δ) is below the threshold; then the multimask output with the
     * highest predicted IoU. {@code all} holds every token's masks and IoUs.
     */
    private Output dynamicSingleMask(Output all) {
        NDArray masks = all.masks();
        NDArray iou = all.iouPredictions();
        long b = masks.getShape().get(0);
        long mh = masks.getShape().get(2);
        long mw = masks.getShape().get(3);
        NDArray multi = masks.get(":, 1:");
        NDArray multiIou = iou.get(":, 1:");
        NDArray best = multiIou.argMax(1).reshape(b, 1); // (B, 1) int64
        NDArray bestMask = multi.gather(best.reshape(b, 1, 1, 1).broadcast(new Shape(b, 1, mh, mw)), 1);
        NDArray bestIou = multiIou.gather(best, 1);
        NDArray single = masks.get(":, :1");
        NDArray flat = single.reshape(b, -1);
        double delta = cfg.dynamicMultimaskStabilityDelta;
        NDArray areaI = flat.gt(delta).toType(DataType.FLOAT32, false).sum(new int[] {1}, true);
        NDArray areaU = flat.gt(-delta).toType(DataType.FLOAT32, false).sum(new int[] {1}, true);
        NDArray stability = NDArrays.where(areaU.gt(0), areaI.div(areaU), areaU.onesLike());
        NDArray stable = stability.gte(cfg.dynamicMultimaskStabilityThresh); // (B, 1)
        NDArray mask = NDArrays.where(stable.reshape(b, 1, 1, 1).broadcast(new Shape(b, 1, mh, mw)), single, bestMask);
        NDArray score = NDArrays.where(stable, iou.get(":, :1"), bestIou);
        return new Output(mask, score, all.queries(), all.keys(), all.objectScoreLogits(), all.samTokens());
    }

    /**
     * SAM's output_upscaling (transposed conv, LayerNorm2d, GELU, transposed conv, GELU) on
     * channel-last image tokens (B, h, w, C) → (B, h, w, i1, j1, i2, j2, C/8), output pixel
     * (4y + 2·i1 + i2, 4x + 2·j1 + j2): the same layers and weights as the NCHW Sequential. Every
     * layer acts per pixel, so the pixels stay unshuffled and no transpose or copy of the upscaled
     * features is made (decoding a click spent a fifth of its time in them).
     */
    private NDArray upscale(ParameterStore ps, NDArray x, NDArray[] highRes, boolean training) {
        List<Block> layers = outputUpscaling.items();
        long b = x.getShape().get(0);
        long h = x.getShape().get(1);
        long w = x.getShape().get(2);
        x = ((TransposedConv2x2) layers.get(0)).forwardPixels(ps, x, training); // (B, h, w, i, j, C/4)
        if (highRes != null) {
            // SAM 2: + the stride-8 features, pixel (2y + i, 2x + j) in the same unshuffled layout
            NDArray s1 = highRes[1];
            x = x.add(s1.reshape(b, s1.getShape().get(1), h, 2, w, 2).transpose(0, 2, 4, 3, 5, 1));
        }
        x = ((LayerNorm2d) layers.get(1)).forwardChannelsLast(ps, x, training);
        x = Mlp.Activation.GELU.apply(x);
        x = ((TransposedConv2x2) layers.get(3)).forwardPixels(ps, x, training);
        if (highRes != null) {
            // + the stride-4 features, pixel (4y + 2·i1 + i2, 4x + 2·j1 + j2)
            NDArray s0 = highRes[0];
            x = x.add(s0.reshape(b, s0.getShape().get(1), h, 2, 2, w, 2, 2).transpose(0, 2, 5, 3, 6, 4, 7, 1));
        }
        return Mlp.Activation.GELU.apply(x);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> params) {
        boolean multimask = params != null && Boolean.TRUE.equals(params.get("multimask_output"));
        Output o = forward(ps, in.get(0), in.get(1), in.get(2), in.get(3), multimask, null, training);
        return new NDList(o.masks(), o.iouPredictions());
    }
}
