package org.medsa.server;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.medsa.core.MedsaException;
import org.medsa.core.io.Hashes;
import org.medsa.core.modeling.Sam;
import org.medsa.core.modeling.sam2.Sam2Model;
import org.medsa.core.predictor.ImageEmbedding;
import org.medsa.core.predictor.Prompt;
import org.medsa.core.predictor.SamPrediction;
import org.medsa.core.predictor.SamPredictor;
import org.medsa.data.transforms.Intensity;
import org.medsa.data.volume.ImageVolume;
import org.medsa.inference.Propagation;
import org.medsa.inference.Segmentation;
import org.medsa.inference.SegmentationInput;
import org.medsa.inference.VolumePrompts;
import org.medsa.inference.tracking.SliceSource;
import org.medsa.inference.tracking.TrackedSlice;
import org.medsa.inference.tracking.VolumeTracker;

/**
 * One open image and its labels, segmented interactively: what a browser tab (or any client of
 * the HTTP API, or a Java caller through {@link SegmentationServer#open}) works on. Slices are
 * encoded once (through the server's encoder queue and embedding cache); every prompt after that
 * only runs the prompt encoder and the mask decoder. All methods are synchronized: one request at
 * a time per session, and a request that fails leaves the labels as they were.
 *
 * <p>With a SAM 2 model every axis gets a {@link VolumeTracker} whose objects are the labels:
 * a prompt on a slice that was not tracked is a conditioning slice, a prompt on a tracked slice
 * corrects it with the memory, every prompt reuses the slice's previous logits (SAM 2's own
 * refinement, whatever {@code mask_input} says), and propagation tracks the label with memory
 * from the given slice. Undo restores the labels and drops the undone prompts from the tracker.
 *
 * <p>Coordinates follow {@code medsa segment}: on a volume's slice along axis a, a point is
 * [u, v] = [index along the slice's rows axis, index along its columns axis] (axis 2: [i, j]); on a
 * 2D image it is [x, y] = [column, row]. So the same prompt gives the same mask in both.
 */
public final class InteractiveSession implements AutoCloseable {

    /** Undo steps kept per session. */
    public static final int UNDO_DEPTH = 100;

    /** One label written on one slice. */
    public record SegmentResult(float iou, int area, boolean[] mask, int rows, int cols) {}

    private record Undo(int axis, Map<Integer, int[]> slices, Map<String, float[]> previous, List<int[]> tracked) {

        Undo(int axis) {
            this(axis, new TreeMap<>(), new HashMap<>(), new ArrayList<>());
        }
    }

    private final String id;
    private final String name;
    private final SegmentationInput input;
    private final Intensity intensity;
    private final ImageVolume normalised;
    private final double[] window;
    private final String contentHash;
    private final String preprocessing;
    private final int[] labels;
    private final Deque<Undo> undo = new ArrayDeque<>();
    private final Map<String, float[]> previous = new HashMap<>();
    private final SegmentationServer.Shared context;
    private final NDManager manager;
    private final SamPredictor predictor;
    private final Sam2Model sam2;
    private final Map<Integer, VolumeTracker> trackers = new HashMap<>();
    private String currentKey;
    private volatile long lastUsed = System.nanoTime();
    private volatile int focusAxis = -1;
    private volatile int focusSlice = -1;
    private volatile boolean closed;

    InteractiveSession(String id, String name, SegmentationInput input, SegmentationServer.Shared context) {
        this.id = id;
        this.name = name;
        this.input = input;
        this.context = context;
        if (input.isVolume()) {
            this.intensity = Intensity.auto().resolve(input.volume());
            this.normalised = intensity.apply(input.volume());
            this.window = intensity.window(input.volume());
            this.preprocessing = "intensity " + intensity + " window " + window[0] + "," + window[1];
        } else {
            this.intensity = null;
            this.normalised = null;
            this.window = new double[] {0, 255};
            this.preprocessing = "rgb";
        }
        this.contentHash = hash(input);
        this.labels = new int[input.grid().voxelCount()];
        this.manager = context.manager().newSubManager();
        if (context.model() instanceof Sam sam) {
            this.predictor = new SamPredictor(sam, manager);
            this.sam2 = null;
        } else {
            this.predictor = null;
            this.sam2 = (Sam2Model) context.model();
        }
    }

    /** The tracker of the slices along {@code axis} (SAM 2), made on first use. */
    private VolumeTracker tracker(int axis) {
        return trackers.computeIfAbsent(axis, a -> VolumeTracker.open(sam2, SliceSource.of(input, normalised, a), manager));
    }

    private static String hash(SegmentationInput input) {
        int[] s = input.shape();
        Hashes.Digest d = Hashes.digest().update(s[0] + "x" + s[1] + "x" + s[2] + (input.isVolume() ? " volume" : " image"));
        return (input.isVolume() ? d.update(input.volume().data()) : d.update(input.image().hwc())).hex();
    }

    /** The session's id (also in its URLs). */
    public String id() {
        return id;
    }

    /** The image's name (its file name). */
    public String name() {
        return name;
    }

    /** The image. */
    public SegmentationInput input() {
        return input;
    }

    /** A copy of the labels on the input's grid (0 = background). */
    public synchronized int[] labels() {
        return labels.clone();
    }

    /** The SHA-256 of the image's values (part of the embedding cache key). */
    public String contentHash() {
        return contentHash;
    }

    /** The default display window: what the model sees ([0, 255] for 2D images). */
    public double[] window() {
        return window.clone();
    }

    /** "volume" or "image". */
    public String kind() {
        return input.isVolume() ? "volume" : "image";
    }

    /** Nanosecond time of the last use (for freeing idle sessions). */
    long lastUsed() {
        return lastUsed;
    }

    boolean isClosed() {
        return closed;
    }

    /** What {@code POST /api/volumes} returns: id, name, kind, shape, spacing, axes, default axis, window. */
    public synchronized Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("name", name);
        m.put("kind", kind());
        int[] s = input.shape();
        m.put("shape", new int[] {s[0], s[1], s[2]});
        m.put("spacing", input.isVolume() ? input.grid().spacing() : new double[] {1, 1, 1});
        m.put("default_axis", 2);
        Map<String, Object> axes = new LinkedHashMap<>();
        for (int a = input.isVolume() ? 0 : 2; a <= 2; a++) {
            int[] hw = input.sliceShape(a);
            Map<String, Object> ax = new LinkedHashMap<>();
            ax.put("slices", s[a]);
            ax.put("rows", hw[0]);
            ax.put("cols", hw[1]);
            axes.put(String.valueOf(a), ax);
        }
        m.put("axes", axes);
        m.put("window", window.clone());
        m.put("intensity", intensity == null ? null : intensity.toString());
        m.put("dicom", input.dicom() != null);
        return m;
    }

    private void touch() {
        if (closed) {
            throw ApiException.notFound("volume " + id + " was closed");
        }
        lastUsed = System.nanoTime();
    }

    private void checkSlice(int axis, int index) {
        input.checkAxis(axis);
        int n = input.shape()[axis];
        if (index < 0 || index >= n) {
            throw new MedsaException("slice " + index + " is outside 0.." + (n - 1) + " along axis " + axis);
        }
    }

    /**
     * The slice as a PNG: gray for volumes (through {@code window} [lo, hi], or by default exactly
     * the gray levels the model sees), the image itself for 2D input. Encodes neighbours ahead.
     */
    public synchronized byte[] slicePng(int axis, int index, double[] window) {
        touch();
        checkSlice(axis, index);
        focus(axis, index, true);
        return SliceRenderer.slice(input, normalised, axis, index, window);
    }

    /** The labels of a slice as an 8-bit gray PNG of the label values. */
    public synchronized byte[] labelsPng(int axis, int index) {
        touch();
        checkSlice(axis, index);
        int[] hw = input.sliceShape(axis);
        return SliceRenderer.labels(input.getSlice(labels, axis, index), hw[0], hw[1]);
    }

    /**
     * Segments one label on one slice from a prompt and writes it into the labels, replacing that
     * label's previous mask on the slice.
     *
     * @param points [u, v, polarity] per click (polarity 1 foreground, 0 background); may be empty
     * @param box [u0, v0, u1, v1] (corners included) or null ({@link VolumePrompts#onSlice} says
     *     which axes u and v run along)
     * @param usePrevious feed the last low-res logits of this slice and label back as the mask
     *     prompt (SAM's refinement); ignored when there are none
     * @param multimask three masks and the best by predicted IoU; null: as {@code medsa segment}
     *     (three for a lone click, else one)
     * @param label 1..255
     * @throws MedsaException for prompts outside the slice, non-finite numbers or no prompt (answered with 400)
     */
    public synchronized SegmentResult segment(int axis, int index, List<double[]> points, double[] box, boolean usePrevious,
            Boolean multimask, int label) {
        touch();
        checkSlice(axis, index);
        int[] hw = input.sliceShape(axis);
        VolumePrompts given = VolumePrompts.onSlice(axis, index, points, box, label);
        Prompt prompt = given.isEmpty() ? new Prompt() : given.bySlice(input, axis).get(index).get(label);
        if (sam2 != null) {
            return segmentTracked(axis, index, prompt, label, hw);
        }
        float[] prev = usePrevious ? previous.get(key(axis, index, label)) : null;
        if (prompt.points().isEmpty() && prompt.box() == null && prev == null) {
            throw new MedsaException("no prompt: give at least one point or a box");
        }
        if (prev != null) {
            int[] ms = predictor.model().promptEncoder().maskInputSize();
            prompt.maskInput(prev, ms[0], ms[1]);
        }
        boolean multi = multimask != null ? multimask : prompt.points().size() == 1 && prompt.box() == null && prev == null;
        focus(axis, index, false);
        useSlice(axis, index);
        SamPrediction r = predictor.predict(prompt, multi);
        int best = r.best();
        boolean[] mask = r.mask(best);
        Undo u = new Undo(axis);
        int area = write(axis, index, label, mask, r.lowRes(best), u);
        pushUndo(u);
        return new SegmentResult(r.iouPredictions()[best], area, mask, hw[0], hw[1]);
    }

    /** SAM 2: the prompt joins the axis' tracker as the label's prompt on the slice. */
    private SegmentResult segmentTracked(int axis, int index, Prompt prompt, int label, int[] hw) {
        if (prompt.points().isEmpty() && prompt.box() == null) {
            throw new MedsaException("no prompt: give at least one point or a box");
        }
        focus(axis, index, false);
        TrackedSlice t = tracker(axis).addPrompt(index, label, prompt);
        boolean[] mask = t.mask(label);
        Undo u = new Undo(axis);
        u.tracked().add(new int[] {index, label});
        int area = write(axis, index, label, mask, null, u);
        pushUndo(u);
        return new SegmentResult(tracker(axis).iou(index, label), area, mask, hw[0], hw[1]);
    }

    /**
     * Follows a label from slice {@code from} into its neighbours ({@link Propagation}): each next
     * slice is prompted by the previous one's mask (box and low-res logits) until the mask vanishes
     * or its predicted IoU falls below {@code minIou} (0: only an empty mask stops). One undo step
     * covers all slices written.
     *
     * @return the slices holding the propagated label, ascending, {@code from} included
     * @throws MedsaException if slice {@code from} has no pixel of the label
     */
    public synchronized List<Integer> propagate(int axis, int from, int label, Propagation.Direction direction, int maxSlices,
            double minIou) {
        touch();
        checkSlice(axis, from);
        VolumePrompts.checkLabel(label);
        if (maxSlices < 1) {
            throw new MedsaException("max_slices must be at least 1, got " + maxSlices);
        }
        if (!(minIou >= 0 && minIou <= 1)) {
            throw new MedsaException("min_iou must be within 0..1, got " + minIou);
        }
        int[] hw = input.sliceShape(axis);
        int[] l = input.getSlice(labels, axis, from);
        boolean[] seed = new boolean[l.length];
        boolean any = false;
        for (int p = 0; p < l.length; p++) {
            seed[p] = l[p] == label;
            any |= seed[p];
        }
        if (!any) {
            throw new MedsaException("nothing to propagate: slice " + from + " along axis " + axis + " has no pixel of label "
                    + label);
        }
        if (sam2 != null) {
            return propagateTracked(axis, from, label, direction, maxSlices, minIou);
        }
        int[] ms = predictor.model().promptEncoder().maskInputSize();
        float[] seedLowRes = previous.get(key(axis, from, label));
        int slices = input.shape()[axis];
        List<Propagation.Step> steps = Propagation.run(from, seed, seedLowRes, ms[0], ms[1], hw[0], hw[1], slices, direction,
                maxSlices, minIou, s -> false, (s, prompt) -> {
                    // while this slice decodes, the encoder works on the next one
                    int next = s + (s > from ? 1 : -1);
                    if (next >= 0 && next < slices) {
                        lookAhead(axis, next, () -> !closed);
                    }
                    useSlice(axis, s);
                    return predictor.predict(prompt, false);
                });
        Undo u = new Undo(axis);
        List<Integer> out = new ArrayList<>();
        out.add(from);
        for (Propagation.Step st : steps) {
            write(axis, st.slice(), label, st.mask(), st.lowRes(), u);
            out.add(st.slice());
        }
        if (!steps.isEmpty()) {
            pushUndo(u);
        }
        out.sort(Integer::compare);
        return out;
    }

    /** SAM 2: tracks the label with memory from slice {@code from}, up, down or both, writing every slice it visits. */
    private List<Integer> propagateTracked(int axis, int from, int label, Propagation.Direction direction, int maxSlices,
            double minIou) {
        if (minIou > 0) {
            throw new MedsaException("min_iou applies to SAM models; SAM 2 tracks every slice with its memory");
        }
        VolumeTracker t = tracker(axis);
        if (!t.objectIds().contains(label)) {
            throw new MedsaException("nothing to propagate: label " + label + " has no prompt along axis " + axis
                    + " (SAM 2 tracks from prompted slices)");
        }
        Map<Integer, boolean[]> masks = new TreeMap<>();
        t.propagate(direction, from, maxSlices, List.of(label), s -> masks.put(s.slice(), s.mask(label)));
        Undo u = new Undo(axis);
        for (Map.Entry<Integer, boolean[]> e : masks.entrySet()) {
            write(axis, e.getKey(), label, e.getValue(), null, u);
        }
        pushUndo(u);
        List<Integer> out = new ArrayList<>();
        for (Map.Entry<Integer, boolean[]> e : masks.entrySet()) {
            for (boolean b : e.getValue()) {
                if (b) {
                    out.add(e.getKey());
                    break;
                }
            }
        }
        if (!out.contains(from)) {
            out.add(from);
            out.sort(Integer::compare);
        }
        return out;
    }

    /**
     * Takes back the last segmentation or propagation.
     *
     * @return false if there was nothing to undo
     */
    public synchronized boolean undo() {
        touch();
        Undo u = undo.pollLast();
        if (u == null) {
            return false;
        }
        for (Map.Entry<Integer, int[]> e : u.slices().entrySet()) {
            input.putSlice(labels, u.axis(), e.getKey(), e.getValue());
        }
        for (Map.Entry<String, float[]> e : u.previous().entrySet()) {
            if (e.getValue() == null) {
                previous.remove(e.getKey());
            } else {
                previous.put(e.getKey(), e.getValue());
            }
        }
        for (int[] sl : u.tracked()) {
            tracker(u.axis()).forget(sl[0], sl[1]);
        }
        return true;
    }

    /**
     * Writes the labels as {@code medsa segment} does, in the format the name says: NIfTI (or NRRD)
     * with the input's grid for volumes, a DICOM SEG ({@code .dcm}) for DICOM series, PNG for 2D images.
     */
    public synchronized void writeLabels(Path out) {
        touch();
        Segmentation.writeLabels(input, labels, out);
    }

    /** The file name of the label export: {@code labels.nii.gz} or {@code labels.png}. */
    public String labelsFileName() {
        return input.isVolume() ? "labels.nii.gz" : "labels.png";
    }

    private int write(int axis, int index, int label, boolean[] mask, float[] lowRes, Undo u) {
        int[] before = input.getSlice(labels, axis, index);
        u.slices().putIfAbsent(index, before);
        String k = key(axis, index, label);
        if (!u.previous().containsKey(k)) {
            u.previous().put(k, previous.get(k));
        }
        int[] after = before.clone();
        int area = 0;
        for (int p = 0; p < after.length; p++) {
            if (mask[p]) {
                after[p] = label;
                area++;
            } else if (after[p] == label) {
                after[p] = 0;
            }
        }
        input.putSlice(labels, axis, index, after);
        if (lowRes != null) {
            previous.put(k, lowRes);
        }
        return area;
    }

    private void pushUndo(Undo u) {
        undo.addLast(u);
        while (undo.size() > UNDO_DEPTH) {
            undo.pollFirst();
        }
    }

    /** Makes the predictor hold slice (axis, index): from the cache, or encoded now. */
    private void useSlice(int axis, int index) {
        String key = cacheKey(axis, index);
        if (key.equals(currentKey)) {
            return;
        }
        ImageEmbedding e;
        try {
            e = context.encoder().request(key, () -> input.sliceImage(normalised, axis, index))
                    .get(context.encodeTimeoutSeconds(),
                    TimeUnit.SECONDS);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "interrupted while the slice was being encoded");
        } catch (TimeoutException ex) {
            throw new ApiException(503, "the slice is still being encoded after " + context.encodeTimeoutSeconds()
                    + " s; try again");
        } catch (ExecutionException ex) {
            Throwable c = ex.getCause();
            if (c instanceof MedsaException m) {
                throw m;
            }
            throw new IllegalStateException("encoding slice " + index + " failed: " + (c == null ? ex : c).getMessage(), c);
        }
        predictor.setEmbedding(e);
        currentKey = key;
    }

    private String cacheKey(int axis, int index) {
        return EmbeddingCache.key(context.modelIdentity(), contentHash, preprocessing, axis, index);
    }

    /** The person looks at (axis, index): encode it and its neighbours ahead of a click. */
    private void focus(int axis, int index, boolean includeSelf) {
        focusAxis = axis;
        focusSlice = index;
        if (!context.lookAhead() || predictor == null) {
            return;
        }
        int n = input.shape()[axis];
        for (int s = index - 1; s <= index + 1; s++) {
            if (s < 0 || s >= n || (s == index && !includeSelf)) {
                continue;
            }
            int slice = s;
            lookAhead(axis, slice, () -> !closed && focusAxis == axis && Math.abs(focusSlice - slice) <= 1);
        }
    }

    private void lookAhead(int axis, int slice, BooleanSupplier wanted) {
        context.encoder().lookAhead(cacheKey(axis, slice), () -> input.sliceImage(normalised, axis, slice), wanted);
    }

    private static String key(int axis, int index, int label) {
        return axis + "/" + index + "/" + label;
    }

    /** Frees the session's arrays; later calls answer 404. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            if (predictor != null) {
                predictor.close();
            }
            trackers.values().forEach(VolumeTracker::close);
            manager.close();
        }
    }
}
