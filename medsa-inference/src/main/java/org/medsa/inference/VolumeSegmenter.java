package org.medsa.inference;

import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.medsa.core.Diagnostics;
import org.medsa.core.MedsaException;
import org.medsa.core.ProgressLine;
import org.medsa.core.modeling.PromptableModel;
import org.medsa.core.modeling.Sam;
import org.medsa.core.modeling.sam2.Sam2Model;
import org.medsa.core.predictor.Prompt;
import org.medsa.core.predictor.RgbImage;
import org.medsa.core.predictor.SamPrediction;
import org.medsa.core.predictor.SamPredictor;
import org.medsa.data.transforms.Intensity;
import org.medsa.data.volume.ImageVolume;
import org.medsa.inference.tracking.SliceSource;
import org.medsa.inference.tracking.TrackedSlice;
import org.medsa.inference.tracking.VolumeTracker;

/**
 * Segments a volume (or a 2D image) from prompts in voxel indices and returns a label volume
 * with the input's geometry — the library call behind {@code medsa segment}, the server and the
 * batch job. It runs SAM (and Med-SA) and SAM 2 models ({@link PromptableModel}).
 *
 * <pre>{@code
 * try (VolumeSegmenter segmenter = new VolumeSegmenter(model, manager)) {
 *     SegmentationInput ct = SegmentationInput.read(Path.of("ct.nii.gz"));
 *     Segmentation s = segmenter.segment(ct, new VolumePrompts().box(100, 120, 40, 180, 200, 60),
 *             VolumeSegmenter.Options.defaults());
 *     s.write(Path.of("mask.nii.gz"));
 * }
 * }</pre>
 *
 * <p>Each prompted slice along the chosen axis is turned into an 8-bit image (the volume's
 * intensities mapped to [0, 1] by {@link Intensity}), encoded once, and decoded for every label
 * prompted on it; all of it goes through the model's input geometry, as in training. A single
 * click uses SAM's three masks and keeps the one with the best predicted IoU; any other prompt
 * uses the single-mask output. Where labels overlap, the later label (in ascending order) wins.
 * With {@link Options.Builder#propagate} each label's structure is then followed into the neighbouring
 * slices ({@link Propagation}); propagated masks are written in label order after all prompted
 * slices.
 *
 * <p>With a SAM 2 model ({@link Sam2Model}) every label is an object of one {@link VolumeTracker}
 * over the slices along the axis: each prompted slice is a conditioning slice segmented without
 * memory (a single click uses the best of three masks, as SAM 2 does), and {@link
 * Options.Builder#propagate} tracks every label through the volume with SAM 2's memory: {@code up}
 * from the lowest prompted slice, {@code down} from the highest, {@code both} up then down from the
 * lowest (the official predictor's order). Tracking visits every slice in the range; a slice where
 * the object is absent gets an empty mask. The minimum IoU does not apply.
 */
public final class VolumeSegmenter implements AutoCloseable {

    /**
     * Options of a segmentation, immutable.
     *
     * @param axis the slicing axis (0, 1 or 2; 2D images: 2)
     * @param intensity how a volume's values become gray levels (default {@code auto})
     * @param propagation the propagation direction, or null for none (the default)
     * @param maxSlices at most this many propagated slices per direction
     * @param propagationMinIou stop propagating at a slice whose predicted IoU is below this (0..1;
     *     default 0: only an empty mask stops)
     * @param encoderBatch prompted slices per encoder pass (default 1); larger batches keep a GPU
     *     busy, the masks are the same up to float rounding of the batched arithmetic
     * @param keepLogits keep each segmented slice's mask logits ({@link Segmentation#logits})
     */
    public record Options(int axis, Intensity intensity, Propagation.Direction propagation, int maxSlices,
            double propagationMinIou,
            int encoderBatch, boolean keepLogits) {

        /** Checks the values; see {@link Builder}. */
        public Options {
            if (maxSlices < 1) {
                throw new MedsaException("propagation needs max slices of at least 1, got " + maxSlices);
            }
            if (!(propagationMinIou >= 0 && propagationMinIou <= 1)) {
                throw new MedsaException("the propagation's minimum IoU must be within 0..1, got " + propagationMinIou);
            }
            if (encoderBatch < 1) {
                throw new MedsaException("the encoder batch must be at least 1, got " + encoderBatch);
            }
        }

        /** Axis 2 (k), automatic intensity, no propagation, one slice per encoder pass. */
        public static Options defaults() {
            return builder().build();
        }

        /** A builder with the defaults. */
        public static Builder builder() {
            return new Builder();
        }

        /** A builder starting from these options. */
        public Builder toBuilder() {
            Builder b = new Builder().axis(axis).intensity(intensity).encoderBatch(encoderBatch).keepLogits(keepLogits);
            b.propagation = propagation;
            b.maxSlices = maxSlices;
            b.minIou = propagationMinIou;
            return b;
        }

        /** Options being made. */
        public static final class Builder {
            private int axis = 2;
            private Intensity intensity = Intensity.auto();
            private Propagation.Direction propagation;
            private int maxSlices = Integer.MAX_VALUE;
            private double minIou;
            private int encoderBatch = 1;
            private boolean keepLogits;

            private Builder() {}

            /** The slicing axis (0, 1 or 2; 2D images: 2). */
            public Builder axis(int a) {
                this.axis = a;
                return this;
            }

            /** How intensities become gray values (volumes only). */
            public Builder intensity(Intensity i) {
                this.intensity = i;
                return this;
            }

            /**
             * Also segments the neighbours of each label's prompted slices, slice after slice, each
             * prompted by the previous one's mask, until the mask vanishes ({@link Propagation}):
             * down from the label's lowest prompted slice and/or up from its highest.
             *
             * @param direction which way(s)
             * @param maxSlices at most this many slices in each direction (at least 1)
             */
            public Builder propagate(Propagation.Direction direction, int maxSlices) {
                this.propagation = direction;
                this.maxSlices = maxSlices;
                return this;
            }

            /** With {@link #propagate}: stop at a slice whose predicted IoU is below {@code iou} (0..1). */
            public Builder propagationMinIou(double iou) {
                this.minIou = iou;
                return this;
            }

            /** Encodes this many prompted slices in one forward pass of the encoder (default 1). */
            public Builder encoderBatch(int n) {
                this.encoderBatch = n;
                return this;
            }

            /**
             * Keeps the mask logits of every segmented slice at the slice's size, before the
             * threshold (several labels: the largest logit of any label, the logit of their union).
             */
            public Builder keepLogits(boolean keep) {
                this.keepLogits = keep;
                return this;
            }

            /**
             * The options.
             *
             * @throws MedsaException for a value out of range
             */
            public Options build() {
                return new Options(axis, intensity, propagation, maxSlices, minIou, encoderBatch, keepLogits);
            }
        }
    }

    private final SamPredictor predictor;
    private final Sam2Model tracked;
    private final NDManager parent;
    private Diagnostics notes = Diagnostics.none();

    /**
     * A segmenter running {@code model}, a SAM ({@link Sam}) or SAM 2 ({@link Sam2Model}) model; its
     * arrays live under {@code parent} on the model's device.
     */
    public VolumeSegmenter(PromptableModel model, NDManager parent) {
        if (model instanceof Sam sam) {
            this.predictor = new SamPredictor(sam, parent);
            this.tracked = null;
        } else if (model instanceof Sam2Model sam2) {
            this.predictor = null;
            this.tracked = sam2;
        } else {
            throw new MedsaException("cannot segment with " + model.describe());
        }
        this.parent = parent;
    }

    /** Receives one line per notable decision (e.g. which intensity {@code auto} chose). */
    public VolumeSegmenter notes(Diagnostics sink) {
        this.notes = sink;
        return this;
    }

    /**
     * Segments {@code input} from {@code prompts}.
     *
     * @throws MedsaException for prompts outside the input, on the wrong axis, or none at all
     */
    public Segmentation segment(SegmentationInput input, VolumePrompts prompts, Options options) {
        if (prompts.isEmpty()) {
            throw new MedsaException("no prompt: give at least one point or box");
        }
        int axis = options.axis();
        input.checkAxis(axis);
        // slice -> label -> prompt, validated before any model work
        TreeMap<Integer, TreeMap<Integer, Prompt>> plan = prompts.bySlice(input, axis);
        ImageVolume normalised = null;
        Intensity used = null;
        if (input.isVolume()) {
            used = options.intensity().resolve(input.volume());
            if (options.intensity().kind() == null) {
                notes.note("intensity: " + used + " (from the value range; choose it to override)");
            }
            normalised = used.apply(input.volume());
        }
        if (tracked != null) {
            return track(input, plan, normalised, used, options);
        }
        int[] labels = new int[input.grid().voxelCount()];
        List<Segmentation.SliceResult> results = new ArrayList<>();
        TreeMap<Integer, float[]> logits = new TreeMap<>();
        // label -> slice -> the prompted slice's prediction (the seeds of propagation)
        TreeMap<Integer, TreeMap<Integer, SamPrediction>> seeds = new TreeMap<>();
        List<Integer> planned = new ArrayList<>(plan.keySet());
        int batch = options.encoderBatch();
        for (int n = 0; n < planned.size(); n++) {
            int s = planned.get(n);
            Map.Entry<Integer, TreeMap<Integer, Prompt>> e = Map.entry(s, plan.get(s));
            if (batch == 1) {
                predictor.setImage(input.sliceImage(normalised, axis, s));
            } else if (n % batch == 0) {
                List<RgbImage> images = new ArrayList<>();
                for (int q = n; q < Math.min(n + batch, planned.size()); q++) {
                    images.add(input.sliceImage(normalised, axis, planned.get(q)));
                }
                predictor.setImages(images);
            } else {
                predictor.selectImage(n % batch);
            }
            int[] sliceLabels = input.getSlice(labels, axis, s);
            for (Map.Entry<Integer, Prompt> lp : e.getValue().entrySet()) {
                Prompt prompt = lp.getValue();
                boolean single = prompt.points().size() == 1 && prompt.box() == null;
                SamPrediction r = predictor.predict(prompt, single);
                int best = r.best();
                boolean[] mask = r.mask(best);
                int area = 0;
                for (int p = 0; p < mask.length; p++) {
                    if (mask[p]) {
                        sliceLabels[p] = lp.getKey();
                        area++;
                    }
                }
                results.add(new Segmentation.SliceResult(lp.getKey(), axis, s, r.iouPredictions()[best], area, prompt, mask));
                SamPrediction chosen = single(r, best);
                seeds.computeIfAbsent(lp.getKey(), k -> new TreeMap<>()).put(s, chosen);
                if (options.keepLogits()) {
                    keepMax(logits, s, chosen.masksLogits());
                }
            }
            input.putSlice(labels, axis, s, sliceLabels);
        }
        if (options.propagation() != null) {
            propagate(input, normalised, axis, options, labels, seeds, results, logits);
        }
        return new Segmentation(input, axis, used, normalised, labels, results, options.keepLogits() ? logits : null);
    }

    /** Keeps, per pixel, the larger of the slice's logits so far and {@code values}. */
    private static void keepMax(TreeMap<Integer, float[]> logits, int slice, float[] values) {
        float[] prev = logits.get(slice);
        if (prev == null) {
            logits.put(slice, values.clone());
            return;
        }
        for (int i = 0; i < prev.length; i++) {
            prev[i] = Math.max(prev[i], values[i]);
        }
    }

    /**
     * The SAM 2 path: every label an object of one tracker; prompted slices first, then tracking
     * through the volume when asked.
     */
    private Segmentation track(SegmentationInput input, TreeMap<Integer, TreeMap<Integer, Prompt>> plan, ImageVolume normalised,
            Intensity used, Options options) {
        if (options.propagationMinIou() > 0) {
            throw new MedsaException("the minimum IoU of propagation applies to SAM models; SAM 2 tracks every slice with its"
                    + " memory and object score");
        }
        int axis = options.axis();
        int[] labels = new int[input.grid().voxelCount()];
        List<Segmentation.SliceResult> results = new ArrayList<>();
        TreeMap<Integer, float[]> logits = new TreeMap<>();
        // slice -> label -> the slice's result, the prompt it came from (null when tracked)
        TreeMap<Integer, TreeMap<Integer, float[]>> masks = new TreeMap<>();
        Map<String, Prompt> prompted = new HashMap<>();
        try (VolumeTracker tracker = VolumeTracker.open(tracked, SliceSource.of(input, normalised, axis), parent)) {
            for (Map.Entry<Integer, TreeMap<Integer, Prompt>> e : plan.entrySet()) {
                for (Map.Entry<Integer, Prompt> lp : e.getValue().entrySet()) {
                    TrackedSlice t = tracker.addPrompt(e.getKey(), lp.getKey(), lp.getValue());
                    prompted.put(e.getKey() + "/" + lp.getKey(), lp.getValue());
                    masks.computeIfAbsent(e.getKey(), k -> new TreeMap<>()).put(lp.getKey(), t.logits(lp.getKey()));
                }
            }
            Propagation.Direction d = options.propagation();
            if (d != null) {
                int lowest = plan.firstKey();
                int highest = plan.lastKey();
                int n = input.shape()[axis];
                long max = options.maxSlices();
                long up = d == Propagation.Direction.DOWN ? 0 : Math.min(max, n - 1 - lowest) + 1;
                int downFrom = d == Propagation.Direction.DOWN ? highest : lowest;
                long down = d == Propagation.Direction.UP || downFrom == 0 ? 0 : Math.min(max, downFrom) + 1;
                ProgressLine progress = new ProgressLine(notes, "tracking", 0, (int) (up + down), 10);
                int[] visited = {0};
                Consumer<TrackedSlice> each = t -> {
                    TreeMap<Integer, float[]> here = masks.computeIfAbsent(t.slice(), k -> new TreeMap<>());
                    t.logits().forEach(here::put);
                    progress.update(++visited[0], "slice " + t.slice());
                };
                if (d == Propagation.Direction.DOWN) {
                    tracker.propagate(d, highest, options.maxSlices(), each);
                } else {
                    tracker.propagate(d, lowest, options.maxSlices(), each);
                }
            }
            for (Map.Entry<Integer, TreeMap<Integer, float[]>> e : masks.entrySet()) {
                int s = e.getKey();
                int[] sliceLabels = input.getSlice(labels, axis, s);
                int tracks = 0;
                for (Map.Entry<Integer, float[]> lm : e.getValue().entrySet()) {
                    float[] l = lm.getValue();
                    boolean[] mask = new boolean[l.length];
                    int area = 0;
                    for (int p = 0; p < l.length; p++) {
                        if (l[p] > 0) {
                            mask[p] = true;
                            sliceLabels[p] = lm.getKey();
                            area++;
                        }
                    }
                    Prompt prompt = prompted.get(s + "/" + lm.getKey());
                    if (prompt != null || area > 0) {
                        results.add(new Segmentation.SliceResult(lm.getKey(), axis, s, tracker.iou(s, lm.getKey()), area, prompt,
                                mask));
                    }
                    tracks += prompt == null ? 1 : 0;
                    if (options.keepLogits()) {
                        keepMax(logits, s, l);
                    }
                }
                input.putSlice(labels, axis, s, sliceLabels);
            }
            if (d != null) {
                for (int label : tracker.objectIds()) {
                    long n = results.stream().filter(r -> r.label() == label && !prompted.containsKey(r.slice() + "/" + label))
                            .count();
                    notes.note("label " + label + ": tracked into " + n + " more slice(s)");
                }
            }
        }
        return new Segmentation(input, axis, used, normalised, labels, results, options.keepLogits() ? logits : null);
    }

    /** Mask {@code c} of a prediction as a one-mask prediction. */
    private static SamPrediction single(SamPrediction r, int c) {
        int n = r.height() * r.width();
        float[] logits = new float[n];
        System.arraycopy(r.masksLogits(), c * n, logits, 0, n);
        return new SamPrediction(1, r.height(), r.width(), logits, r.lowResHeight(), r.lowResWidth(), r.lowRes(c),
                new float[] {r.iouPredictions()[c]}, r.maskThreshold());
    }

    private void propagate(SegmentationInput input, ImageVolume normalised, int axis, Options options, int[] labels,
            TreeMap<Integer, TreeMap<Integer, SamPrediction>> seeds, List<Segmentation.SliceResult> results,
            TreeMap<Integer, float[]> logits) {
        int[] hw = input.sliceShape(axis);
        int slices = input.shape()[axis];
        Propagation.SliceDecoder decoder = (s, prompt) -> {
            predictor.setImage(input.sliceImage(normalised, axis, s));
            return predictor.predict(prompt, false);
        };
        for (Map.Entry<Integer, TreeMap<Integer, SamPrediction>> e : seeds.entrySet()) {
            int label = e.getKey();
            TreeMap<Integer, SamPrediction> prompted = e.getValue();
            List<Propagation.Step> steps = new ArrayList<>();
            Propagation.Direction d = options.propagation();
            if (d != Propagation.Direction.UP) {
                steps.addAll(walk(prompted.firstEntry(), Propagation.Direction.DOWN, hw, slices, options, prompted, decoder));
            }
            if (d != Propagation.Direction.DOWN) {
                steps.addAll(walk(prompted.lastEntry(), Propagation.Direction.UP, hw, slices, options, prompted, decoder));
            }
            for (Propagation.Step st : steps) {
                int[] sliceLabels = input.getSlice(labels, axis, st.slice());
                for (int p = 0; p < st.mask().length; p++) {
                    if (st.mask()[p]) {
                        sliceLabels[p] = label;
                    }
                }
                input.putSlice(labels, axis, st.slice(), sliceLabels);
                results.add(new Segmentation.SliceResult(label, axis, st.slice(), st.iou(), st.area(), st.prompt(), st.mask()));
                if (options.keepLogits()) {
                    keepMax(logits, st.slice(), st.logits());
                }
            }
            notes.note("label " + label + ": propagated to " + steps.size() + " slice(s)");
        }
    }

    private static List<Propagation.Step> walk(Map.Entry<Integer, SamPrediction> seed, Propagation.Direction d, int[] hw,
            int slices,
            Options options, TreeMap<Integer, SamPrediction> prompted, Propagation.SliceDecoder decoder) {
        SamPrediction r = seed.getValue();
        boolean[] mask = r.mask(0);
        boolean any = false;
        for (boolean b : mask) {
            any |= b;
        }
        if (!any) {
            return List.of(); // an empty prompted mask has nothing to carry
        }
        return Propagation.run(seed.getKey(), mask, r.lowRes(0), r.lowResHeight(), r.lowResWidth(), hw[0], hw[1], slices, d,
                options.maxSlices(), options.propagationMinIou(), prompted::containsKey, decoder);
    }

    /**
     * Checks prompts and options against an input without running the model (what {@link #segment}
     * checks first), so a caller can refuse bad input before loading a model.
     *
     * @throws MedsaException naming the first problem
     */
    public static void validate(SegmentationInput input, VolumePrompts prompts, Options options) {
        if (prompts.isEmpty()) {
            throw new MedsaException("no prompt: give at least one point or box");
        }
        prompts.bySlice(input, options.axis());
    }

    @Override
    public void close() {
        if (predictor != null) {
            predictor.close();
        }
    }
}
