package org.medsa.core.predictor;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.medsa.core.MedsaException;
import org.medsa.core.geometry.ImageFrame;
import org.medsa.core.geometry.InputGeometry;
import org.medsa.core.io.StateDictLoader;
import org.medsa.core.modeling.MaskDecoder;
import org.medsa.core.modeling.Sam;
import org.medsa.core.nn.Ops;

/**
 * SAM's interactive predictor: {@link #setImage} runs the image encoder once and keeps the
 * embedding; {@link #predict} then decodes any number of prompts against it. Images, prompts and
 * masks go through the model's {@link InputGeometry} (docs/model.md, "Input and output geometry"), the same code training and
 * evaluation use. Results are plain Java arrays, so callers need no NDArray handling; {@link
 * #decode} and {@link #masksToOriginal} are the batched NDArray path (prompts for several targets
 * against one image). The device is the model's.
 */
public final class SamPredictor implements AutoCloseable {

    private final Sam sam;
    private final NDManager manager;
    private final InputGeometry geometry;
    private NDManager imageScope;
    private NDArray embedding;
    private NDArray inputImage;
    private byte[] resized;
    private ImageFrame frame;
    private List<NDArray> batchEmbeddings = List.of();
    private List<ImageFrame> batchFrames = List.of();
    private NDManager preparedScope;
    private MaskDecoder.PreparedImage prepared;
    private long preparedWrites;
    private int preparations;

    /** A predictor for {@code sam}; its arrays live in a sub-manager of {@code parent} on the model's device. */
    public SamPredictor(Sam sam, NDManager parent) {
        this.sam = sam;
        Device device = sam.device();
        this.manager = parent.newSubManager(device);
        this.geometry = sam.geometry();
    }

    /** The model this predictor runs. */
    public Sam model() {
        return sam;
    }

    /** Resizes, normalises and pads the image, and computes its embedding. */
    public void setImage(RgbImage image) {
        InputGeometry.ModelInput in = geometry.prepare(image);
        if (imageScope != null) {
            imageScope.close();
        }
        imageScope = manager.newSubManager();
        this.batchEmbeddings = List.of();
        this.batchFrames = List.of();
        this.frame = in.frame();
        this.resized = in.resized();
        int s = geometry.size();
        Ops.noGrad(() -> {
            try (NDManager step = imageScope.newSubManager()) {
                NDArray input = step.create(in.chw(), new Shape(1, 3, s, s)).toDevice(manager.getDevice(), false);
                NDArray emb = sam.encodeImage(null, input, false);
                input.attach(imageScope);
                emb.attach(imageScope);
                this.inputImage = input;
                setEmbeddingArray(emb);
            }
            return null;
        });
    }

    /**
     * Encodes several images in one forward pass of the encoder (a batch of {@code images.size()})
     * and keeps all their embeddings on the device; {@link #selectImage} then makes one of them the
     * current image without copying. The batch path of volume segmentation: on a GPU a batch keeps
     * the device busy; on a CPU it gives about what one image at a time gives.
     *
     * @throws MedsaException for an empty list
     */
    public void setImages(List<RgbImage> images) {
        if (images.isEmpty()) {
            throw new MedsaException("no images to encode");
        }
        if (imageScope != null) {
            imageScope.close();
        }
        imageScope = manager.newSubManager();
        List<ImageFrame> frames = new ArrayList<>();
        for (RgbImage img : images) {
            frames.add(geometry.frame(img.height(), img.width()));
        }
        List<NDArray> embs = new ArrayList<>();
        Ops.noGrad(() -> {
            try (NDManager step = imageScope.newSubManager()) {
                NDArray input = geometry.modelInputs(step, images).toDevice(manager.getDevice(), false);
                NDArray emb = sam.encodeImage(null, input, false);
                for (int i = 0; i < images.size(); i++) {
                    NDArray one = emb.get(i + ":" + (i + 1));
                    one.attach(imageScope);
                    embs.add(one);
                }
            }
            return null;
        });
        this.batchEmbeddings = embs;
        this.batchFrames = frames;
        selectImage(0);
    }

    /**
     * Makes image {@code i} of the last {@link #setImages} batch the current image.
     *
     * @throws IndexOutOfBoundsException if there is no such image in the batch
     */
    public void selectImage(int i) {
        if (i < 0 || i >= batchEmbeddings.size()) {
            throw new IndexOutOfBoundsException("image " + i + " of a batch of " + batchEmbeddings.size());
        }
        setEmbeddingArray(batchEmbeddings.get(i));
        this.frame = batchFrames.get(i);
        this.resized = null;
        this.inputImage = null;
    }

    /**
     * The current image's embedding copied to the host, to keep it beyond this image (e.g. in a
     * cache) and hand it back with {@link #setEmbedding} later without running the encoder again.
     *
     * @throws IllegalStateException if no image was set
     */
    public ImageEmbedding exportEmbedding() {
        requireImage();
        return new ImageEmbedding(frame, embedding.getShape().getShape(), embedding.toFloatArray());
    }

    /**
     * Makes a previously exported embedding the current image (one host-to-device copy; the
     * encoder does not run). The resized image and the model input are not known then: {@link
     * #resizedImage} and {@link #inputImage} refuse until the next {@link #setImage}.
     *
     * @throws MedsaException if the embedding was made for another input size or embedding shape
     */
    public void setEmbedding(ImageEmbedding e) {
        if (e.frame().size() != geometry.size()) {
            throw new MedsaException("this embedding was made for a " + e.frame().size() + "-pixel model input; this model takes "
                    + geometry.size());
        }
        long[] want = sam.embeddingShape();
        long[] got = e.shape();
        if (!Arrays.equals(want, got)) {
            throw new MedsaException("this embedding has shape " + Arrays.toString(got) + "; this model's is "
                    + Arrays.toString(want));
        }
        if (imageScope != null) {
            imageScope.close();
        }
        imageScope = manager.newSubManager();
        this.batchEmbeddings = List.of();
        this.batchFrames = List.of();
        this.frame = e.frame();
        this.resized = null;
        this.inputImage = null;
        try (NDManager step = imageScope.newSubManager()) {
            NDArray emb = step.create(e.values(), new Shape(got)).toDevice(manager.getDevice(), false);
            emb.attach(imageScope);
            setEmbeddingArray(emb);
        }
    }

    /** Makes {@code emb} the current embedding; the decoder's preparation of the previous one is dropped. */
    private void setEmbeddingArray(NDArray emb) {
        this.embedding = emb;
        dropPreparation();
    }

    private void dropPreparation() {
        prepared = null;
        if (preparedScope != null) {
            preparedScope.close();
            preparedScope = null;
        }
    }

    /**
     * The decoder's image-only work for the current embedding, done at its first prompt without
     * a mask input and kept with the image (about 18 MB for ViT-B). Redone when weights were
     * loaded since; weights changed otherwise (an optimiser step) need a new {@link #setImage},
     * as the embedding does.
     */
    private MaskDecoder.PreparedImage prepared() {
        long writes = StateDictLoader.weightWrites();
        if (prepared == null || preparedWrites != writes) {
            dropPreparation();
            preparedScope = imageScope.newSubManager();
            prepared = Ops.noGrad(() -> {
                try (NDManager work = preparedScope.newSubManager()) {
                    // intermediates stay in work and go with it; the result lives on as views
                    return sam.prepareDecoding(null, Ops.viewIn(embedding, work), false).viewIn(preparedScope);
                }
            });
            preparedWrites = writes;
            preparations++;
        }
        return prepared;
    }

    /** How many times the decoder's image side was prepared (tests check that clicks reuse it). */
    int preparations() {
        return preparations;
    }

    private void requireImage() {
        if (embedding == null) {
            throw new IllegalStateException("call setImage before predict");
        }
    }

    /** The resized uint8 image (newH, newW, 3), before normalisation. */
    public byte[] resizedImage() {
        requireImage();
        if (resized == null) {
            throw new IllegalStateException("the current image came from setEmbedding or setImages; its pixels are not kept");
        }
        return resized.clone();
    }

    /** The model input (1, 3, S, S) of the current image. */
    public NDArray inputImage() {
        requireImage();
        if (inputImage == null) {
            throw new IllegalStateException("the current image came from setEmbedding or setImages; its model input is not kept");
        }
        return inputImage;
    }

    /** The cached image embedding (1, C, h, w). */
    public NDArray imageEmbedding() {
        requireImage();
        return embedding;
    }

    /** Where the current image sits in the model input. */
    public ImageFrame frame() {
        requireImage();
        return frame;
    }

    /** The device the predictor computes on (the model's). */
    public Device device() {
        return manager.getDevice();
    }

    /** The model's input geometry. */
    public InputGeometry geometry() {
        return geometry;
    }

    /**
     * The current image's (height, width) in pixels.
     *
     * @throws IllegalStateException if no image was set
     */
    public int[] originalSize() {
        requireImage();
        return new int[] {frame.height(), frame.width()};
    }

    /**
     * The (height, width) of the resized image inside the model input.
     *
     * @throws IllegalStateException if no image was set
     */
    public int[] inputSize() {
        requireImage();
        return new int[] {frame.inputHeight(), frame.inputWidth()};
    }

    /** Prompt coordinates (x, y pairs) in the model-input frame. */
    public float[] transformCoords(double[] xy) {
        requireImage();
        return frame.toInput(xy);
    }

    /**
     * Predicts masks for a prompt.
     *
     * @param multimask three masks (SAM's tokens 1–3) if true, else one (token 0)
     */
    public SamPrediction predict(Prompt prompt, boolean multimask) {
        requireImage();
        prompt.validate(frame.height(), frame.width());
        return Ops.noGrad(() -> {
            try (NDManager step = manager.newSubManager()) {
                Device device = embedding.getDevice();
                NDArray points = null;
                NDArray labels = null;
                List<Prompt.Point> pts = prompt.points();
                if (!pts.isEmpty()) {
                    double[] xy = new double[pts.size() * 2];
                    float[] l = new float[pts.size()];
                    for (int i = 0; i < pts.size(); i++) {
                        xy[2 * i] = pts.get(i).x();
                        xy[2 * i + 1] = pts.get(i).y();
                        l[i] = pts.get(i).polarity();
                    }
                    points = step.create(xy, new Shape(1, pts.size(), 2)).toDevice(device, false);
                    labels = step.create(l, new Shape(1, pts.size())).toDevice(device, false);
                }
                NDArray boxes = null;
                if (prompt.box() != null) {
                    boxes = step.create(prompt.box(), new Shape(1, 4)).toDevice(device, false);
                }
                NDArray masks = null;
                if (prompt.maskInput() != null) {
                    int[] ms = sam.promptEncoder().maskInputSize();
                    if (prompt.maskHeight() != ms[0] || prompt.maskWidth() != ms[1]) {
                        throw new MedsaException("mask input must be " + ms[0] + "x" + ms[1]
                                + " low-res logits for this model, got " + prompt.maskHeight() + "x" + prompt.maskWidth());
                    }
                    masks = step.create(prompt.maskInput(), new Shape(1, 1, ms[0], ms[1])).toDevice(device, false);
                }
                Sam.DecoderOutput p = decode(points, labels, boxes, masks, multimask);
                NDArray lowRes = p.lowResLogits().get(0);
                NDArray full = masksToOriginal(p.lowResLogits()).get(0);
                Shape ls = lowRes.getShape();
                float[] iou = p.iouPredictions().get(0).toFloatArray();
                float[] logits = full.toFloatArray();
                float[] low = lowRes.toFloatArray();
                requireFinite(iou, low); // the full-size logits are convex combinations of these
                return new SamPrediction((int) ls.get(0), frame.height(), frame.width(), logits, (int) ls.get(1),
                        (int) ls.get(2), low, iou, (float) sam.config().maskThreshold);
            }
        });
    }

    /** A NaN or infinite output means broken weights or inputs: never return it as a mask. */
    private static void requireFinite(float[] iou, float[] logits) {
        for (float v : iou) {
            if (!Float.isFinite(v)) {
                throw new MedsaException("the model produced a non-finite IoU score (" + v + "): its weights or the mask input"
                        + " hold NaN or infinite values");
            }
        }
        for (float v : logits) {
            if (!Float.isFinite(v)) {
                throw new MedsaException("the model produced non-finite mask logits: its weights or the mask input hold NaN"
                        + " or infinite values");
            }
        }
    }

    /**
     * Decodes prompts for B targets against the current image's embedding: points (B, N, 2) with
     * labels (B, N) and/or boxes (B, 4) in the image's own pixel coordinates (mapped here, on the
     * device, through {@link ImageFrame#toInput(NDArray)}), and optionally previous low-res logits
     * (B, 1, h, w). The arrays' manager owns the result; call inside a no-gradient scope.
     */
    public Sam.DecoderOutput decode(NDArray points, NDArray labels, NDArray boxes, NDArray maskInput, boolean multimask) {
        requireImage();
        NDArray anchor = points != null ? points : boxes != null ? boxes : maskInput;
        if (anchor == null) {
            throw new MedsaException("empty prompt: give a point, a box or a mask input");
        }
        NDArray inputPoints = points == null ? null : frame.toInput(points);
        NDArray inputBoxes = boxes == null ? null : frame.toInput(boxes);
        // Views in the caller's scope: everything derived from them is freed with the caller's arrays.
        if (maskInput == null) {
            return sam.decode(null, prepared().viewIn(anchor.getManager()), inputPoints, labels, inputBoxes, multimask, false);
        }
        return sam.decode(null, Ops.viewIn(embedding, anchor.getManager()), inputPoints, labels, inputBoxes, maskInput,
                multimask, false);
    }

    /** Low-res logits (B, C, h, w) of the current image → logits at its original size (B, C, H, W). */
    public NDArray masksToOriginal(NDArray lowRes) {
        requireImage();
        return frame.masksToOriginal(lowRes);
    }

    @Override
    public void close() {
        manager.close();
    }
}
