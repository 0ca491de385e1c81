package org.medsa.core.modeling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.nio.file.Path;
import java.util.List;
import org.medsa.core.MedsaException;
import org.medsa.core.geometry.InputGeometry;
import org.medsa.core.io.StateDictLoader;
import org.medsa.core.nn.TorchBlock;

/**
 * Segment Anything: {@code image_encoder}, {@code prompt_encoder} and {@code mask_decoder}.
 *
 * <p>The image is encoded once ({@link #encodeImage}); prompts are then decoded against the
 * cached embedding ({@link #decode}). {@link #forwardInternal} runs both for DJL callers, with
 * named inputs {@code image}, {@code point_coords}, {@code point_labels}, {@code boxes}, {@code
 * mask_inputs}.
 */
public class Sam extends TorchBlock implements PromptableModel {

    /**
     * Everything a decoding produces, as tensors in the autograd graph (training, evaluation); the
     * host-side result a user reads is {@code SamPrediction}.
     */
    public record DecoderOutput(NDArray lowResLogits, NDArray iouPredictions, NDArray sparseEmbeddings,
            NDArray denseEmbeddings, NDArray transformerQueries, NDArray transformerKeys) {}

    /** The model's architecture (validated). */
    protected final SamConfig config;
    private final ImageEncoderViT imageEncoder;
    private final PromptEncoder promptEncoder;
    private final MaskDecoder maskDecoder;

    /**
     * SAM with its own encoder, prompt encoder and decoder; parameters get values from a checkpoint
     * or from {@link #initialize}.
     */
    public Sam(SamConfig config) {
        this(config, new ImageEncoderViT(config.imageEncoder), new PromptEncoder(config.promptEncoder),
                new MaskDecoder(config.maskDecoder));
    }

    /** With other components (Med-SA's adapted encoder and decoder). */
    protected Sam(SamConfig config, ImageEncoderViT imageEncoder, PromptEncoder promptEncoder, MaskDecoder maskDecoder) {
        this.config = config.validate();
        this.imageEncoder = child("image_encoder", imageEncoder);
        this.promptEncoder = child("prompt_encoder", promptEncoder);
        this.maskDecoder = child("mask_decoder", maskDecoder);
    }

    /**
     * Builds SAM for {@code config} and loads an official checkpoint into it, strictly (see
     * {@link org.medsa.core.io.StateDictLoader}); the weights live in {@code manager}.
     */
    public static Sam load(SamConfig config, Path checkpoint, NDManager manager) {
        Sam sam = new Sam(config);
        StateDictLoader.load(sam, checkpoint, manager, new StateDictLoader.Options());
        sam.initialize(manager, DataType.FLOAT32);
        return sam;
    }

    /** The model's architecture. */
    public SamConfig config() {
        return config;
    }

    /** The image encoder ({@code image_encoder}). */
    public ImageEncoderViT imageEncoder() {
        return imageEncoder;
    }

    /** The prompt encoder ({@code prompt_encoder}). */
    public PromptEncoder promptEncoder() {
        return promptEncoder;
    }

    /** The mask decoder ({@code mask_decoder}). */
    public MaskDecoder maskDecoder() {
        return maskDecoder;
    }

    /** The device the weights live on (what every computation with this model runs on). */
    @Override
    public ai.djl.Device device() {
        return stateDictParameters().values().iterator().next().getArray().getDevice();
    }

    /** The shape of one image's embedding, (1, C, h, w): what {@link #encodeImage} returns per image. */
    public long[] embeddingShape() {
        SamConfig.PromptEncoder p = config.promptEncoder;
        return new long[] {1, p.embedDim, p.imageEmbeddingSize[0], p.imageEmbeddingSize[1]};
    }

    /** Side of the square model input (img_size). */
    @Override
    public int imageSize() {
        return config.imageEncoder.imgSize;
    }

    /**
     * The model's input geometry (resize, normalise, pad, and the inverse for prompts and masks):
     * every path that feeds this model images goes through it.
     */
    @Override
    public InputGeometry geometry() {
        return InputGeometry.of(config);
    }

    @Override
    public String describe() {
        return "SAM " + config.source;
    }

    /** (B, 3, S, S) preprocessed images → (B, C, h, w) embeddings. */
    public NDArray encodeImage(ParameterStore ps, NDArray input, boolean training) {
        return encodeImage(ps, input, training, null, null);
    }

    /** As above; {@code params} reach every encoder block, {@code intermediates} collects outputs. */
    public NDArray encodeImage(ParameterStore ps, NDArray input, boolean training, PairList<String, Object> params,
            List<NDArray> intermediates) {
        return imageEncoder.forward(ps, input, training, params, intermediates);
    }

    /**
     * Decodes prompts against image embeddings. Coordinates are in the model-input frame.
     *
     * @param embeddings (1 or B, C, h, w)
     * @param points (B, N, 2) or null; {@code labels} (B, N)
     * @param boxes (B, 4) or null; {@code masks} (B, 1, 4h, 4w) or null
     */
    public DecoderOutput decode(ParameterStore ps, NDArray embeddings, NDArray points, NDArray labels, NDArray boxes,
            NDArray masks, boolean multimask, boolean training) {
        PromptEncoder.Embeddings pe = encodePrompts(ps, embeddings.getManager(), points, labels, boxes, masks, training);
        return decode(ps, embeddings, pe, validTokens(pe.sparse(), labels, boxes != null), multimask, training);
    }

    /** The prompt encoder alone (the official Med-SA recipe runs it without gradients). */
    public PromptEncoder.Embeddings encodePrompts(ParameterStore ps, NDManager manager, NDArray points, NDArray labels,
            NDArray boxes, NDArray masks, boolean training) {
        return promptEncoder.embed(ps, manager, points, labels, boxes, masks, training);
    }

    /**
     * The mask decoder on already-encoded prompts.
     *
     * @param validTokens (B, T) 1 for real prompt tokens, 0 for SAM's padding point; see
     *     {@link #validTokens}
     */
    public DecoderOutput decode(ParameterStore ps, NDArray embeddings, PromptEncoder.Embeddings pe, NDArray validTokens,
            boolean multimask, boolean training) {
        PromptContext ctx = new PromptContext(pe.sparse(), validTokens);
        MaskDecoder.Output o = maskDecoder.forward(ps, embeddings, densePe(ps, embeddings, training), pe.sparse(), pe.dense(),
                multimask, ctx, training);
        return output(o, pe);
    }

    /** The dense positional encoding in {@code embeddings}' scope, on their device. */
    private NDArray densePe(ParameterStore ps, NDArray embeddings, boolean training) {
        NDArray densePe = promptEncoder.densePositionalEncoding(ps, embeddings.getManager(), training);
        return densePe.getDevice().equals(embeddings.getDevice()) ? densePe : densePe.toDevice(embeddings.getDevice(), false);
    }

    private static DecoderOutput output(MaskDecoder.Output o, PromptEncoder.Embeddings pe) {
        return new DecoderOutput(o.masks(), o.iouPredictions(), pe.sparse(), pe.dense(), o.queries(), o.keys());
    }

    /**
     * The decoder's work that depends on the image alone, for decoding any number of prompts
     * without a mask input against {@code embedding} (1, C, h, w): see {@link
     * MaskDecoder.PreparedImage}. The result reflects the decoder's weights of now, like the
     * embedding reflects the encoder's: after the weights change (a load, a training step),
     * prepare again ({@link org.medsa.core.predictor.SamPredictor} does so by itself after a load).
     */
    public MaskDecoder.PreparedImage prepareDecoding(ParameterStore ps, NDArray embedding, boolean training) {
        // no prompt at all: the embeddings of batch 1 with SAM's no-mask dense embedding
        NDArray noMask = encodePrompts(ps, embedding.getManager(), null, null, null, null, training).dense();
        return maskDecoder.prepareImage(ps, embedding, densePe(ps, embedding, training),
                noMask.toDevice(embedding.getDevice(), false), training);
    }

    /**
     * {@link #decode(ParameterStore, NDArray, NDArray, NDArray, NDArray, NDArray, boolean, boolean)
     * decode} of points and/or boxes (no mask input) against a {@link #prepareDecoding prepared}
     * image: equal up to float rounding, without the decoder's image-only work. The results and
     * intermediates belong to the prompts' manager; nothing is added to the prepared image's.
     */
    public DecoderOutput decode(ParameterStore ps, MaskDecoder.PreparedImage image, NDArray points, NDArray labels, NDArray boxes,
            boolean multimask, boolean training) {
        NDArray anchor = points != null ? points : boxes;
        if (anchor == null) {
            throw new MedsaException("empty prompt: give a point or a box (a mask input needs the unprepared decode)");
        }
        PromptEncoder.Embeddings pe = encodePrompts(ps, anchor.getManager(), points, labels, boxes, null, training);
        PromptContext ctx = new PromptContext(pe.sparse(), validTokens(pe.sparse(), labels, boxes != null));
        return output(maskDecoder.forward(ps, image, pe.sparse(), multimask, ctx, training), pe);
    }

    /**
     * 1 for every sparse token that is a real prompt, 0 for SAM's padding point: the point tokens
     * (label ≠ −1), then the padding point when there is no box, or the two box corners.
     */
    public static NDArray validTokens(NDArray sparse, NDArray labels, boolean hasBox) {
        long b = sparse.getShape().get(0);
        long t = sparse.getShape().get(1);
        NDArray ones = sparse.getManager().ones(new Shape(b, t)).toDevice(sparse.getDevice(), false);
        if (labels == null) {
            return ones;
        }
        NDArray pointValid = labels.toType(DataType.FLOAT32, false).neq(PromptEncoder.LABEL_PAD).toType(DataType.FLOAT32, false);
        NDList parts = new NDList(pointValid);
        // the padding point appended when there is no box, or the two box corners
        parts.add(hasBox ? ones.get(":, :2") : ones.get(":, :1").zerosLike());
        NDArray v = NDArrays.concat(parts, 1);
        if (v.getShape().get(1) != t) {
            throw new IllegalStateException(v.getShape().get(1) + " prompt flags for " + t + " sparse tokens");
        }
        return v;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> params) {
        NDArray image = in.get("image");
        NDArray points = in.contains("point_coords") ? in.get("point_coords") : null;
        NDArray labels = in.contains("point_labels") ? in.get("point_labels") : null;
        NDArray boxes = in.contains("boxes") ? in.get("boxes") : null;
        NDArray masks = in.contains("mask_inputs") ? in.get("mask_inputs") : null;
        boolean multimask = params != null && Boolean.TRUE.equals(params.get("multimask_output"));
        NDArray emb = encodeImage(ps, image, training, params, null);
        DecoderOutput p = decode(ps, emb, points, labels, boxes, masks, multimask, training);
        return new NDList(p.lowResLogits(), p.iouPredictions());
    }
}
