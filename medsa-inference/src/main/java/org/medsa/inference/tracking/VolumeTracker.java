package org.medsa.inference.tracking;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Consumer;
import org.medsa.core.MedsaException;
import org.medsa.core.geometry.InputGeometry;
import org.medsa.core.modeling.sam2.Sam2Model;
import org.medsa.core.nn.Ops;
import org.medsa.core.nn.Precision;
import org.medsa.core.predictor.Prompt;
import org.medsa.inference.Propagation;

/**
 * SAM 2's video predictor with the slices of a volume as the frames (docs/sam2.md, "Tracking a
 * volume"): prompt any slice for any number of objects, propagate through the volume with SAM 2's
 * memory, correct a slice and propagate again, and read every slice's masks.
 *
 * <pre>{@code
 * Sam2Model model = Sam2Model.load(Sam2Config.preset("medsam2"), Path.of("MedSAM2_latest.pt"), manager);
 * SegmentationInput ct = SegmentationInput.read(Path.of("ct.nii.gz"));
 * ImageVolume gray = Intensity.auto().resolve(ct.volume()).apply(ct.volume());
 * try (VolumeTracker tracker = VolumeTracker.open(model, SliceSource.of(ct, gray, 2), manager)) {
 *     tracker.addPrompt(40, 1, new Prompt().point(120, 88, 1));     // one click on slice 40
 *     tracker.propagate(Propagation.Direction.BOTH, s -> { });      // every slice, both ways
 *     tracker.addClicks(52, 1, new Prompt().point(101, 90, 0));     // a correction on slice 52
 *     tracker.propagate(Propagation.Direction.UP, s -> { });        // again, from the first prompted slice
 *     boolean[] mask = tracker.slice(52).mask(1);
 * }
 * }</pre>
 *
 * <p>The semantics are the official {@code SAM2VideoPredictor}'s (commit 2b90b9f5): a slice
 * prompted before it was tracked is a conditioning slice, segmented without memory; prompts on a
 * tracked slice correct it with the memory and its previous logits and keep it a non-conditioning
 * slice; prompted slices enter the memory when propagation starts (masks from clicks binarised);
 * propagation starts at the first conditioning slice; each tracked slice attends to the
 * conditioning slices and the {@code num_maskmem − 1} previous ones (in the direction of
 * tracking), and to object pointers of earlier slices only; memory features are stored rounded to
 * bfloat16 as the official predictor stores them ({@link Options#bfloat16Memories}). Every object
 * is tracked on its own. "Up" is towards higher slice indices (forward), "down" towards lower ones.
 *
 * <p>A tracker is not thread-safe. Its arrays live under a child of the manager it is given and
 * are freed by {@link #close}.
 */
public final class VolumeTracker implements AutoCloseable {

    /**
     * Tracker settings.
     *
     * @param bfloat16Memories store memory features rounded to bfloat16 (the official predictor's
     *     storage, the default; later slices drift from the official ones without it)
     * @param cachedFrames image features kept for re-use (at least 1; the official predictor keeps
     *     the last frame's)
     */
    public record Options(boolean bfloat16Memories, int cachedFrames) {

        /** Checks the values. */
        public Options {
            if (cachedFrames < 1) {
                throw new MedsaException("the tracker caches at least one frame's features, got " + cachedFrames);
            }
        }

        /** The model config's memory storage type (bfloat16 for every official config), two cached frames. */
        public static Options defaults(Sam2Model model) {
            return new Options(model.config().bfloat16Memories(), 2);
        }
    }

    /**
     * What the tracker holds for one object on one slice, on the host.
     *
     * @param conditioning true for a conditioning slice (prompted before it was tracked)
     * @param lowResLogits (4h × 4w) the low-res mask logits
     * @param lowResHeight rows of the low-res logits
     * @param lowResWidth columns of the low-res logits
     * @param objectScore the object-presence logit
     * @param iou the predicted IoU of the mask
     * @param objectPointer the object pointer (d values)
     * @param memoryFeatures the memory features (mem_dim × h × w), or null before they are encoded
     */
    public record SliceState(boolean conditioning, float[] lowResLogits, int lowResHeight, int lowResWidth, float objectScore,
            float iou, float[] objectPointer, float[] memoryFeatures) {}

    /** One frame's stored output for one object; its arrays live in {@link #manager}. */
    private static final class FrameOut {
        final NDManager manager;
        NDArray maskmemFeatures;
        NDArray predMasks;
        NDArray objPtr;
        NDArray objectScore;
        NDArray iou;

        FrameOut(NDManager manager) {
            this.manager = manager;
        }
    }

    /** Click prompts of one slice in the model input's pixels. */
    private record Points(float[] coords, int[] labels) {}

    /** Everything the tracker knows about one object. */
    private static final class ObjectState {
        final Map<Integer, Points> points = new LinkedHashMap<>();
        final Map<Integer, NDArray> masks = new LinkedHashMap<>();
        final Map<Integer, FrameOut> cond = new LinkedHashMap<>();
        final Map<Integer, FrameOut> nonCond = new LinkedHashMap<>();
        final Map<Integer, FrameOut> tempCond = new LinkedHashMap<>();
        final Map<Integer, FrameOut> tempNonCond = new LinkedHashMap<>();
        final Map<Integer, Boolean> tracked = new LinkedHashMap<>();
    }

    private final Sam2Model model;
    private final SliceSource slices;
    private final Options options;
    private final InputGeometry geometry;
    private final NDManager manager;
    private final Map<Integer, ObjectState> objects = new LinkedHashMap<>();
    private final LinkedHashMap<Integer, CachedFeatures> featureCache = new LinkedHashMap<>();
    private NDArray maskmemPosEnc;

    private record CachedFeatures(NDManager manager, Sam2Model.ImageFeatures features) {}

    private VolumeTracker(Sam2Model model, SliceSource slices, NDManager parent, Options options) {
        this.model = model;
        this.slices = slices;
        this.options = options;
        this.geometry = model.geometry();
        this.manager = parent.newSubManager(model.device());
    }

    /** A tracker over {@code slices} with the model's default options. */
    public static VolumeTracker open(Sam2Model model, SliceSource slices, NDManager parent) {
        return open(model, slices, parent, Options.defaults(model));
    }

    /** A tracker over {@code slices}; its arrays live under {@code parent} on the model's device. */
    public static VolumeTracker open(Sam2Model model, SliceSource slices, NDManager parent, Options options) {
        return new VolumeTracker(model, slices, parent, options);
    }

    /** The slices tracked. */
    public SliceSource slices() {
        return slices;
    }

    /** The object ids, in the order they were first prompted. */
    public List<Integer> objectIds() {
        return new ArrayList<>(objects.keySet());
    }

    private ObjectState object(int id) {
        return objects.computeIfAbsent(id, k -> new ObjectState());
    }

    private void checkSlice(int slice) {
        if (slice < 0 || slice >= slices.count()) {
            throw new MedsaException("slice " + slice + " is outside 0.." + (slices.count() - 1));
        }
    }

    /**
     * Prompts {@code objectId} on {@code slice} with points and/or a box (the official {@code
     * add_new_points_or_box} with {@code clear_old_points}): replaces that object's earlier clicks
     * on the slice. Coordinates are the slice's pixels (x = column, y = row).
     *
     * @return the slice's masks of every object
     * @throws MedsaException for an empty prompt, a slice outside the volume, or coordinates outside the slice
     */
    public TrackedSlice addPrompt(int slice, int objectId, Prompt prompt) {
        return addPoints(slice, objectId, prompt, true);
    }

    /**
     * Adds clicks to {@code objectId}'s clicks on {@code slice} ({@code clear_old_points=False}):
     * the way to refine a slice click by click. A box can only come with {@link #addPrompt}.
     */
    public TrackedSlice addClicks(int slice, int objectId, Prompt clicks) {
        if (clicks.box() != null) {
            throw new MedsaException("a box replaces the slice's clicks: give it with addPrompt, before any click");
        }
        return addPoints(slice, objectId, clicks, false);
    }

    private TrackedSlice addPoints(int slice, int objectId, Prompt prompt, boolean clearOld) {
        checkSlice(slice);
        if (prompt.isEmpty() || prompt.maskInput() != null && prompt.points().isEmpty() && prompt.box() == null) {
            throw new MedsaException("a prompt needs at least one point or a box");
        }
        if (prompt.maskInput() != null) {
            throw new MedsaException("a mask prompt is given with addMask, not with points or a box");
        }
        prompt.validate(slices.height(), slices.width());
        List<float[]> xy = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        if (prompt.box() != null) {
            double[] b = prompt.box();
            xy.add(new float[] {(float) b[0], (float) b[1]});
            xy.add(new float[] {(float) b[2], (float) b[3]});
            labels.add(2);
            labels.add(3);
        }
        for (Prompt.Point p : prompt.points()) {
            xy.add(new float[] {(float) p.x(), (float) p.y()});
            labels.add(p.polarity());
        }
        ObjectState o = object(objectId);
        Points old = clearOld ? null : o.points.get(slice);
        int n0 = old == null ? 0 : old.labels().length;
        float[] coords = new float[(n0 + xy.size()) * 2];
        int[] lab = new int[n0 + xy.size()];
        if (old != null) {
            System.arraycopy(old.coords(), 0, coords, 0, old.coords().length);
            System.arraycopy(old.labels(), 0, lab, 0, n0);
        }
        float size = geometry.size();
        float w = slices.width();
        float h = slices.height();
        for (int i = 0; i < xy.size(); i++) {
            // the official normalisation, in float32: points / [W, H] * image_size
            coords[(n0 + i) * 2] = xy.get(i)[0] / w * size;
            coords[(n0 + i) * 2 + 1] = xy.get(i)[1] / h * size;
            lab[n0 + i] = labels.get(i);
        }
        Points points = new Points(coords, lab);
        o.points.put(slice, points);
        NDArray removed = o.masks.remove(slice);
        if (removed != null) {
            removed.close();
        }
        return runPromptedFrame(slice, objectId, o, points, null);
    }

    /**
     * Prompts {@code objectId} on {@code slice} with a mask (rows × cols of the slice; the official
     * {@code add_new_mask}): the mask is taken as the slice's output and replaces its clicks.
     */
    public TrackedSlice addMask(int slice, int objectId, boolean[] mask) {
        checkSlice(slice);
        int h = slices.height();
        int w = slices.width();
        if (mask.length != h * w) {
            throw new MedsaException("a mask prompt for slice " + slice + " needs " + h + "x" + w + " values, got "
                    + mask.length);
        }
        ObjectState o = object(objectId);
        float[] v = new float[mask.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = mask[i] ? 1f : 0f;
        }
        NDArray input = Ops.noGrad(() -> {
            int s = geometry.size();
            NDArray m = Ops.array(manager, v, new Shape(1, 1, h, w)).toDevice(model.device(), false);
            if (h != s || w != s) {
                try (NDManager scope = manager.newSubManager()) {
                    NDArray r = Ops.resizeAntialiased(Ops.viewIn(m, scope), s, s).gte(0.5f).toType(DataType.FLOAT32, false);
                    r.attach(manager);
                    m.close();
                    m = r;
                }
            }
            return m;
        });
        NDArray old = o.masks.put(slice, input);
        if (old != null) {
            old.close();
        }
        o.points.remove(slice);
        return runPromptedFrame(slice, objectId, o, null, input);
    }

    /** The shared part of adding points or a mask: one frame inference without memory encoding, kept as temporary output. */
    private TrackedSlice runPromptedFrame(int slice, int objectId, ObjectState o, Points points, NDArray mask) {
        boolean initial = !o.tracked.containsKey(slice);
        boolean reverse = !initial && o.tracked.get(slice);
        boolean isCond = initial || model.config().videoPredictor.addAllFramesToCorrectAsCond;
        Map<Integer, FrameOut> temp = isCond ? o.tempCond : o.tempNonCond;
        FrameOut prev = null;
        if (points != null) {
            prev = temp.get(slice);
            if (prev == null) {
                prev = o.cond.get(slice);
            }
            if (prev == null) {
                prev = o.nonCond.get(slice);
            }
        }
        FrameOut previous = prev;
        FrameOut out = Ops.noGrad(() -> runFrame(o, slice, initial, points, mask, reverse, false, previous));
        replace(temp, slice, out);
        return consolidated(slice);
    }

    /**
     * Propagates every object through the volume ({@code propagate_in_video}): first the prompted
     * slices enter the memory, then slices are tracked from the first conditioning slice, up
     * (forward), down (reverse), or up then down for {@link Propagation.Direction#BOTH}, as far as
     * the volume goes.
     *
     * @param each receives every slice visited, in order, with its masks
     * @throws MedsaException if no object has a prompt
     */
    public void propagate(Propagation.Direction direction, Consumer<TrackedSlice> each) {
        propagate(direction, -1, Integer.MAX_VALUE, each);
    }

    /**
     * As above, from slice {@code start} (−1: the first conditioning slice of any object) over at
     * most {@code maxSlices} slices beyond it in each direction.
     */
    public void propagate(Propagation.Direction direction, int start, int maxSlices, Consumer<TrackedSlice> each) {
        propagate(direction, start, maxSlices, objects.keySet(), each);
    }

    /**
     * As above for the objects {@code ids} only (the others keep their slices as they are); the
     * official predictor always tracks every object, each on its own, so this equals its result
     * for these objects.
     */
    public void propagate(Propagation.Direction direction, int start, int maxSlices, Collection<Integer> ids,
            Consumer<TrackedSlice> each) {
        if (maxSlices < 0) {
            throw new MedsaException("propagation covers at least 0 slices beyond its start, got " + maxSlices);
        }
        List<Integer> chosen = new ArrayList<>();
        for (int id : ids) {
            if (!objects.containsKey(id)) {
                throw new MedsaException("no object " + id + " to propagate (objects: " + objects.keySet() + ")");
            }
            chosen.add(id);
        }
        if (direction != Propagation.Direction.DOWN) {
            propagateOneWay(false, start, maxSlices, chosen, each);
        }
        if (direction != Propagation.Direction.UP) {
            propagateOneWay(true, start, maxSlices, chosen, each);
        }
    }

    private void propagateOneWay(boolean reverse, int startSlice, int maxSlices, List<Integer> ids, Consumer<TrackedSlice> each) {
        Ops.noGrad(() -> {
            preflight(ids);
            return null;
        });
        int n = slices.count();
        int start = startSlice;
        if (start < 0) {
            start = Integer.MAX_VALUE;
            for (int id : ids) {
                for (int t : objects.get(id).cond.keySet()) {
                    start = Math.min(start, t);
                }
            }
        }
        checkSlice(start);
        long max = Math.min((long) maxSlices, n);
        List<Integer> order = new ArrayList<>();
        if (reverse) {
            long end = Math.max(start - max, 0);
            if (start > 0) {
                for (long f = start; f >= end; f--) {
                    order.add((int) f);
                }
            }
        } else {
            long end = Math.min(start + max, n - 1);
            for (long f = start; f <= end; f++) {
                order.add((int) f);
            }
        }
        for (int frame : order) {
            for (int id : ids) {
                ObjectState o = objects.get(id);
                if (!o.cond.containsKey(frame)) {
                    FrameOut out = Ops.noGrad(() -> runFrame(o, frame, false, null, null, reverse, true, null));
                    replace(o.nonCond, frame, out);
                }
                o.tracked.put(frame, reverse);
            }
            if (each != null) {
                each.accept(slice(frame));
            }
        }
    }

    /** {@code propagate_in_video_preflight}: prompted slices' outputs get their memory and join the memory bank. */
    private void preflight(List<Integer> ids) {
        if (ids.isEmpty()) {
            throw new MedsaException("nothing to propagate: prompt a slice first");
        }
        for (int id : ids) {
            ObjectState o = objects.get(id);
            for (boolean isCond : new boolean[] {false, true}) {
                Map<Integer, FrameOut> temp = isCond ? o.tempCond : o.tempNonCond;
                Map<Integer, FrameOut> target = isCond ? o.cond : o.nonCond;
                for (Map.Entry<Integer, FrameOut> t : temp.entrySet()) {
                    FrameOut out = t.getValue();
                    if (out.maskmemFeatures == null) {
                        encodeMemory(t.getKey(), out);
                    }
                    FrameOut old = target.put(t.getKey(), out);
                    if (old != null && old != out) {
                        old.manager.close();
                    }
                    if (model.config().videoPredictor.clearNonCondMemAroundInput) {
                        clearNonCondAround(o, t.getKey());
                    }
                }
                temp.clear();
            }
            if (o.cond.isEmpty()) {
                throw new MedsaException("object " + id + " has no prompt on a slice that was not tracked before;"
                        + " prompt it first");
            }
            for (int f : o.cond.keySet()) {
                FrameOut old = o.nonCond.remove(f);
                if (old != null) {
                    old.manager.close();
                }
            }
        }
    }

    private void clearNonCondAround(ObjectState o, int frame) {
        int r = model.config().videoPredictor.memoryTemporalStrideForEval;
        int span = r * model.config().numMaskmem;
        for (int t = frame - span; t <= frame + span; t++) {
            FrameOut old = o.nonCond.remove(t);
            if (old != null) {
                old.manager.close();
            }
        }
    }

    /** {@code _run_memory_encoder} on a prompted slice's output: its mask from clicks or a mask prompt, binarised. */
    private void encodeMemory(int frame, FrameOut out) {
        try (NDManager step = manager.newSubManager()) {
            Sam2Model.ImageFeatures f = features(frame).viewIn(step);
            int s = geometry.size();
            NDArray high = Ops.resizeBilinear(Ops.viewIn(out.predMasks, step), s, s);
            NDArray[] mem = model.encodeNewMemory(null, f, high, Ops.viewIn(out.objectScore, step), true, false);
            out.maskmemFeatures = store(mem[0], out.manager);
            keepPosEnc(mem[1]);
        }
    }

    /** Runs {@code track_step} on one frame of one object with its memory bank, keeping what the official predictor keeps. */
    private FrameOut runFrame(ObjectState o, int frame, boolean initial, Points points, NDArray mask, boolean reverse,
            boolean runMemoryEncoder, FrameOut previous) {
        FrameOut out = new FrameOut(manager.newSubManager());
        try (NDManager step = manager.newSubManager()) {
            Sam2Model.ImageFeatures f = features(frame).viewIn(step);
            NDArray coords = null;
            NDArray labels = null;
            if (points != null) {
                int n = points.labels().length;
                coords = Ops.array(step, points.coords(), new Shape(1, n, 2)).toDevice(model.device(), false);
                labels = step.create(points.labels(), new Shape(1, n)).toDevice(model.device(), false);
            }
            NDArray prevLogits = previous == null || previous.predMasks == null ? null
                    : Ops.viewIn(previous.predMasks, step).clip(-32f, 32f);
            NDArray maskIn = mask == null ? null : Ops.viewIn(mask, step);
            Sam2Model.MemoryBank bank = bank(o, step);
            Sam2Model.StepOutput r = model.trackStep(null, frame, initial, f, coords, labels, maskIn, bank, reverse,
                    runMemoryEncoder, prevLogits, false);
            out.predMasks = keep(fillHoles(r.predMasks()), out.manager);
            out.objPtr = keep(r.objPtr(), out.manager);
            out.objectScore = keep(r.objectScoreLogits(), out.manager);
            out.iou = keep(r.iou(), out.manager);
            if (r.maskmemFeatures() != null) {
                out.maskmemFeatures = store(r.maskmemFeatures(), out.manager);
                keepPosEnc(r.maskmemPosEnc());
            }
        } catch (RuntimeException e) {
            out.manager.close();
            throw e;
        }
        return out;
    }

    /** The memory bank of one object as views in {@code scope}. */
    private Sam2Model.MemoryBank bank(ObjectState o, NDManager scope) {
        Map<Integer, Sam2Model.FrameMemory> cond = new LinkedHashMap<>();
        for (Map.Entry<Integer, FrameOut> e : o.cond.entrySet()) {
            cond.put(e.getKey(), memory(e.getValue(), scope));
        }
        Map<Integer, Sam2Model.FrameMemory> nonCond = new LinkedHashMap<>();
        for (Map.Entry<Integer, FrameOut> e : o.nonCond.entrySet()) {
            nonCond.put(e.getKey(), memory(e.getValue(), scope));
        }
        return new Sam2Model.MemoryBank(cond, nonCond, slices.count());
    }

    private Sam2Model.FrameMemory memory(FrameOut f, NDManager scope) {
        if (f.maskmemFeatures == null || maskmemPosEnc == null) {
            throw new IllegalStateException("a remembered frame has no memory features");
        }
        return new Sam2Model.FrameMemory(Ops.viewIn(f.maskmemFeatures, scope), Ops.viewIn(maskmemPosEnc, scope),
                Ops.viewIn(f.objPtr, scope));
    }

    /** Memory features as the predictor stores them: rounded to bfloat16 unless the options say float32. */
    private NDArray store(NDArray features, NDManager owner) {
        NDArray s = options.bfloat16Memories() ? Precision.roundToBfloat16(features) : features;
        return keep(s, owner);
    }

    private static NDArray keep(NDArray a, NDManager owner) {
        a.attach(owner);
        return a;
    }

    /** The memories' positional encoding is the same for every frame: one copy is kept. */
    private void keepPosEnc(NDArray pos) {
        if (maskmemPosEnc == null) {
            maskmemPosEnc = pos.duplicate();
            maskmemPosEnc.attach(manager);
        }
    }

    /** Low-res logits with small background holes filled (the config's {@code fill_hole_area}; 0: unchanged). */
    private NDArray fillHoles(NDArray lowRes) {
        int area = model.config().videoPredictor.fillHoleArea;
        if (area <= 0) {
            return lowRes;
        }
        long[] s = lowRes.getShape().getShape();
        float[] v = lowRes.toFloatArray();
        if (!HoleFilling.fill(v, (int) s[2], (int) s[3], area)) {
            return lowRes;
        }
        return Ops.array(lowRes.getManager(), v, lowRes.getShape()).toDevice(lowRes.getDevice(), false);
    }

    /** A frame's image features, from the cache or the encoder. */
    private Sam2Model.ImageFeatures features(int frame) {
        CachedFeatures c = featureCache.remove(frame);
        if (c == null) {
            NDManager m = manager.newSubManager();
            try {
                float[] chw = geometry.prepare(slices.slice(frame)).chw();
                int s = geometry.size();
                NDArray input = Ops.array(m, chw, new Shape(1, 3, s, s)).toDevice(model.device(), false);
                c = new CachedFeatures(m, Ops.noGrad(() -> model.encodeImage(null, input, false)));
            } catch (RuntimeException e) {
                m.close();
                throw e;
            }
        }
        featureCache.put(frame, c); // most recent last
        while (featureCache.size() > options.cachedFrames()) {
            Iterator<Map.Entry<Integer, CachedFeatures>> it = featureCache.entrySet().iterator();
            it.next().getValue().manager().close();
            it.remove();
        }
        return c.features();
    }

    private static void replace(Map<Integer, FrameOut> map, int frame, FrameOut out) {
        FrameOut old = map.put(frame, out);
        if (old != null && old != out) {
            old.manager.close();
        }
    }

    /** The output of one object on one frame, as the official consolidation finds it, or null. */
    private static FrameOut latest(ObjectState o, int frame) {
        FrameOut f = o.tempCond.get(frame);
        if (f == null) {
            f = o.tempNonCond.get(frame);
        }
        if (f == null) {
            f = o.cond.get(frame);
        }
        if (f == null) {
            f = o.nonCond.get(frame);
        }
        return f;
    }

    private TrackedSlice consolidated(int slice) {
        return slice(slice);
    }

    /**
     * The masks of every object on {@code slice} at the slice's size: the low-res logits resized
     * bilinearly; −1024 (absent) for an object with nothing on that slice yet.
     */
    public TrackedSlice slice(int slice) {
        checkSlice(slice);
        int h = slices.height();
        int w = slices.width();
        Map<Integer, float[]> out = new LinkedHashMap<>();
        List<Integer> ids = new ArrayList<>(objects.keySet());
        try (NDManager scope = manager.newSubManager()) {
            NDList lows = new NDList();
            int[] lr = model.lowResSize();
            for (int id : ids) {
                FrameOut f = latest(objects.get(id), slice);
                lows.add(f == null ? scope.full(new Shape(1, 1, lr[0], lr[1]), Sam2Model.NO_OBJ_SCORE, DataType.FLOAT32,
                        model.device()) : Ops.viewIn(f.predMasks, scope));
            }
            if (ids.isEmpty()) {
                return new TrackedSlice(slice, h, w, out);
            }
            NDArray all = lows.size() == 1 ? lows.get(0) : NDArrays.concat(lows, 0);
            NDArray video = geometry.masksToOriginal(all, geometry.frame(h, w));
            if (model.config().videoPredictor.nonOverlapMasks && ids.size() > 1) {
                NDArray best = video.argMax(0).expandDims(0);
                NDArray idx = scope.arange(0, ids.size()).toDevice(video.getDevice(), false).reshape(-1, 1, 1, 1)
                        .toType(best.getDataType(), false);
                video = NDArrays.where(best.eq(idx), video, Ops.minimum(video, -10.0));
            }
            float[] v = video.toFloatArray();
            for (int i = 0; i < ids.size(); i++) {
                float[] one = new float[h * w];
                System.arraycopy(v, i * h * w, one, 0, h * w);
                out.put(ids.get(i), one);
            }
        }
        return new TrackedSlice(slice, h, w, out);
    }

    /** What the tracker holds for {@code objectId} on {@code slice}, or null if nothing yet. */
    public SliceState state(int slice, int objectId) {
        checkSlice(slice);
        ObjectState o = objects.get(objectId);
        FrameOut f = o == null ? null : latest(o, slice);
        if (f == null) {
            return null;
        }
        boolean cond = o.tempCond.containsKey(slice) || o.cond.containsKey(slice);
        long[] s = f.predMasks.getShape().getShape();
        return new SliceState(cond, f.predMasks.toFloatArray(), (int) s[2], (int) s[3], f.objectScore.toFloatArray()[0],
                f.iou.toFloatArray()[0], f.objPtr.toFloatArray(), f.maskmemFeatures == null ? null
                        : f.maskmemFeatures.toFloatArray());
    }

    /** The predicted IoU of {@code objectId}'s mask on {@code slice}, or NaN if it has none there yet. */
    public float iou(int slice, int objectId) {
        checkSlice(slice);
        ObjectState o = objects.get(objectId);
        FrameOut f = o == null ? null : latest(o, slice);
        return f == null ? Float.NaN : f.iou.toFloatArray()[0];
    }

    /** The slices where {@code objectId} has a mask (prompted or tracked), ascending. */
    public List<Integer> slicesOf(int objectId) {
        ObjectState o = objects.get(objectId);
        if (o == null) {
            return List.of();
        }
        TreeSet<Integer> all = new TreeSet<>();
        for (Map<Integer, FrameOut> m : List.of(o.cond, o.nonCond, o.tempCond, o.tempNonCond)) {
            all.addAll(m.keySet());
        }
        return new ArrayList<>(all);
    }

    /** The prompted slices of every object (conditioning or corrected), ascending. */
    public List<Integer> promptedSlices() {
        TreeSet<Integer> all = new TreeSet<>();
        for (ObjectState o : objects.values()) {
            all.addAll(o.points.keySet());
            all.addAll(o.masks.keySet());
        }
        return new ArrayList<>(all);
    }

    /**
     * Removes {@code objectId}'s prompts from {@code slice} ({@code clear_all_prompts_in_frame}): a
     * conditioning slice becomes an ordinary tracked slice with its last output.
     */
    public void clearPrompts(int slice, int objectId) {
        ObjectState o = dropPrompts(slice, objectId, false);
        if (o == null) {
            return;
        }
        FrameOut c = o.cond.remove(slice);
        if (c != null) {
            replace(o.nonCond, slice, c);
            o.tracked.remove(slice);
        }
    }

    /**
     * Forgets everything about {@code objectId} on {@code slice}: its prompts and its outputs, and
     * that the slice was tracked; a later prompt there starts afresh (a conditioning slice).
     */
    public void forget(int slice, int objectId) {
        ObjectState o = dropPrompts(slice, objectId, true);
        if (o != null) {
            o.tracked.remove(slice);
        }
    }

    /**
     * Removes {@code objectId}'s prompts on {@code slice} and the outputs not yet consolidated
     * (and with {@code allOutputs} the stored ones too), freeing their arrays; the object's state,
     * or null when there is no such object.
     */
    private ObjectState dropPrompts(int slice, int objectId, boolean allOutputs) {
        checkSlice(slice);
        ObjectState o = objects.get(objectId);
        if (o == null) {
            return null;
        }
        o.points.remove(slice);
        NDArray m = o.masks.remove(slice);
        if (m != null) {
            m.close();
        }
        List<Map<Integer, FrameOut>> maps = allOutputs ? List.of(o.cond, o.nonCond, o.tempCond, o.tempNonCond)
                : List.of(o.tempCond, o.tempNonCond);
        for (Map<Integer, FrameOut> map : maps) {
            FrameOut f = map.remove(slice);
            if (f != null) {
                f.manager.close();
            }
        }
        return o;
    }

    /** Forgets {@code objectId} entirely. */
    public void removeObject(int objectId) {
        ObjectState o = objects.remove(objectId);
        if (o != null) {
            release(o);
        }
    }

    /** Forgets every object, prompt and tracked slice (the image features stay cached). */
    public void reset() {
        for (ObjectState o : objects.values()) {
            release(o);
        }
        objects.clear();
    }

    private static void release(ObjectState o) {
        for (Map<Integer, FrameOut> m : List.of(o.cond, o.nonCond, o.tempCond, o.tempNonCond)) {
            for (FrameOut f : m.values()) {
                f.manager.close();
            }
            m.clear();
        }
        for (NDArray a : o.masks.values()) {
            a.close();
        }
        o.masks.clear();
    }

    @Override
    public void close() {
        manager.close();
    }
}
