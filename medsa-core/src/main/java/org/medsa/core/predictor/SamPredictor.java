package org.medsa.core.predictor;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.medsa.core.MedsaException;
import org.medsa.core.modeling.Sam;
import org.medsa.core.nn.Ops;

import java.util.List;

/**
 * SAM's interactive predictor: {@link #setImage} runs the image encoder once and keeps the
 * embedding; {@link #predict} then decodes any number of prompts against it (spec §A.5 for the
 * pre- and post-processing). Results are plain Java arrays, so callers need no NDArray handling.
 * The device is the model's.
 */
public final class SamPredictor implements AutoCloseable {

    private final Sam sam;
    private final NDManager manager;
    private final ResizeLongestSide transform;
    private NDManager imageScope;
    private NDArray embedding;
    private NDArray inputImage;
    private byte[] resized;
    private int origH;
    private int origW;
    private int inputH;
    private int inputW;

    public SamPredictor(Sam sam, NDManager parent) {
        this.sam = sam;
        Device device = sam.stateDictParameters().values().iterator().next().getArray().getDevice();
        this.manager = parent.newSubManager(device);
        this.transform = new ResizeLongestSide(sam.imageSize());
    }

    /** Resizes, normalises and pads the image, and computes its embedding. */
    public void setImage(RgbImage image) {
        int[] size = transform.preprocessShape(image.height(), image.width());
        byte[] r = PillowResize.resize(image.hwc(), image.height(), image.width(), 3, size[0], size[1]);
        if (imageScope != null) {
            imageScope.close();
        }
        imageScope = manager.newSubManager();
        this.origH = image.height();
        this.origW = image.width();
        this.inputH = size[0];
        this.inputW = size[1];
        this.resized = r;
        Ops.noGrad(() -> {
            try (NDManager step = imageScope.newSubManager()) {
                NDArray hwc = step.create(java.nio.ByteBuffer.wrap(r), new Shape(size[0], size[1], 3), DataType.UINT8)
                        .toType(DataType.FLOAT32, false);
                NDArray input = sam.preprocess(hwc.transpose(2, 0, 1).expandDims(0));
                NDArray emb = sam.encodeImage(null, input, false);
                input.attach(imageScope);
                emb.attach(imageScope);
                this.inputImage = input;
                this.embedding = emb;
            }
            return null;
        });
    }

    private void requireImage() {
        if (embedding == null) {
            throw new IllegalStateException("call setImage before predict");
        }
    }

    /** The resized uint8 image (newH, newW, 3), before normalisation. */
    public byte[] resizedImage() {
        requireImage();
        return resized.clone();
    }

    /** The model input (1, 3, S, S) of the current image. */
    public NDArray inputImage() {
        requireImage();
        return inputImage;
    }

    /** The cached image embedding (1, C, h, w). */
    public NDArray imageEmbedding() {
        requireImage();
        return embedding;
    }

    public int[] originalSize() {
        return new int[] {origH, origW};
    }

    public int[] inputSize() {
        return new int[] {inputH, inputW};
    }

    /** Prompt coordinates (x, y pairs) in the model-input frame. */
    public float[] transformCoords(double[] xy) {
        return transform.applyCoords(xy, origH, origW);
    }

    /**
     * Predicts masks for a prompt.
     *
     * @param multimask three masks (SAM's tokens 1–3) if true, else one (token 0)
     */
    public SamPrediction predict(Prompt prompt, boolean multimask) {
        requireImage();
        prompt.validate(origH, origW);
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
                        l[i] = pts.get(i).label();
                    }
                    points = step.create(transformCoords(xy), new Shape(1, pts.size(), 2)).toDevice(device, false);
                    labels = step.create(l, new Shape(1, pts.size())).toDevice(device, false);
                }
                NDArray boxes = null;
                if (prompt.box() != null) {
                    boxes = step.create(transformCoords(prompt.box()), new Shape(1, 4)).toDevice(device, false);
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
                // A view in this call's scope: everything derived from it is freed with `step`.
                NDArray emb = embedding.reshape(embedding.getShape());
                emb.attach(step);
                Sam.Prediction p = sam.decode(null, emb, points, labels, boxes, masks, multimask, false);
                NDArray lowRes = p.lowResLogits().get(0);
                NDArray full = postprocess(p.lowResLogits()).get(0);
                Shape ls = lowRes.getShape();
                return new SamPrediction((int) ls.get(0), origH, origW, full.toFloatArray(), (int) ls.get(1),
                        (int) ls.get(2), lowRes.toFloatArray(), p.iouPredictions().get(0).toFloatArray(),
                        (float) sam.config().maskThreshold);
            }
        });
    }

    /**
     * SAM's {@code postprocess_masks}: (B, C, h, w) low-res logits → bilinear to S×S → crop to the
     * resized image → bilinear to the original size.
     */
    public NDArray postprocess(NDArray lowRes) {
        int s = sam.imageSize();
        NDArray x = Ops.interpolate(lowRes, new long[] {s, s}, Ops.Mode.BILINEAR, false);
        x = x.get(":, :, :" + inputH + ", :" + inputW);
        return Ops.interpolate(x, new long[] {origH, origW}, Ops.Mode.BILINEAR, false);
    }

    @Override
    public void close() {
        manager.close();
    }
}
