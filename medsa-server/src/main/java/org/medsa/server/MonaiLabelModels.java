package org.medsa.server;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.medsa.core.MedsaException;
import org.medsa.core.modeling.sam2.Sam2Model;
import org.medsa.data.nifti.NiftiDatatype;
import org.medsa.inference.Propagation;
import org.medsa.inference.Segmentation;
import org.medsa.inference.SegmentationInput;
import org.medsa.inference.VolumePrompts;
import org.medsa.inference.VolumeSegmenter;

/**
 * The two interactive models the MONAI Label routes offer, over the server's model. Clicks are
 * voxel indices [i, j, k] of the volume as uploaded (the Slicer module's IJK, OHIF's index
 * coordinates); slices run along k (axis 2). Every call is computed from the clicks it carries, as
 * MONAI Label's clients send all of a segment's clicks each time, so the answer does not depend on
 * earlier calls.
 *
 * <ul>
 *   <li>{@value MonaiLabelApi#MODEL_2D}: the clicked slice ({@code slice}, else the last click's k):
 *       its clicks and the {@code roi}'s box, the masks of {@link VolumeSegmenter} on that slice
 *       (for SAM through the server's embedding cache, the same numbers).
 *   <li>{@value MonaiLabelApi#MODEL_3D}: every click on its slice, the roi as a box on each slice
 *       it spans, then propagation both ways — exactly {@code medsa segment --propagate}
 *       ({@link VolumeSegmenter} with {@link Propagation.Direction#BOTH}); SAM 2 tracks with its
 *       memory.
 * </ul>
 *
 * The answer is a binary label volume (1 = the segment) on the input's grid.
 */
final class MonaiLabelModels {

    /** Output types a client may ask for as {@code result_dtype}. */
    static final Map<String, NiftiDatatype> DTYPES = Map.of("uint8", NiftiDatatype.UINT8, "int16", NiftiDatatype.INT16,
            "int32", NiftiDatatype.INT32, "float32", NiftiDatatype.FLOAT32);

    /** A parsed {@code params} field of {@code POST /infer/{model}}. */
    record Request(String label, List<int[]> foreground, List<int[]> background, Integer slice, int[] roi, String extension,
            NiftiDatatype dtype, int maxSlices) {

        /**
         * Parses and checks {@code params} against the input.
         *
         * @throws MedsaException (400) naming the key and what is wrong
         */
        static Request of(JsonObject p, SegmentationInput input) {
            int[] shape = input.shape();
            String label = "label";
            if (p.has("label") && !p.get("label").isJsonNull()) {
                JsonElement l = p.get("label");
                if (!l.isJsonPrimitive()) {
                    throw new MedsaException("params.label must be the segment's name, got " + l);
                }
                label = l.getAsString();
            }
            List<int[]> fg = points(p, "foreground", shape);
            List<int[]> bg = points(p, "background", shape);
            Integer slice = null;
            if (p.has("slice") && !p.get("slice").isJsonNull()) {
                slice = integer(p.get("slice"), "params.slice");
                if (slice < 0 || slice >= shape[2]) {
                    throw new MedsaException("params.slice " + slice + " is outside 0.." + (shape[2] - 1));
                }
            }
            int[] roi = roi(p, shape);
            String ext = p.has("result_extension") && !p.get("result_extension").isJsonNull()
                    ? string(p.get("result_extension"), "params.result_extension").toLowerCase(Locale.ROOT) : ".nrrd";
            if (!List.of(".nrrd", ".nii.gz", ".nii").contains(ext)) {
                throw new MedsaException("params.result_extension must be .nrrd, .nii.gz or .nii, got '" + ext + "'");
            }
            String dt = p.has("result_dtype") && !p.get("result_dtype").isJsonNull()
                    ? string(p.get("result_dtype"), "params.result_dtype").toLowerCase(Locale.ROOT) : "uint8";
            NiftiDatatype dtype = DTYPES.get(dt);
            if (dtype == null) {
                throw new MedsaException("params.result_dtype must be uint8, int16, int32 or float32, got '" + dt + "'");
            }
            int maxSlices = 0;
            if (p.has("max_slices") && !p.get("max_slices").isJsonNull()) {
                maxSlices = integer(p.get("max_slices"), "params.max_slices");
                if (maxSlices < 0) {
                    throw new MedsaException("params.max_slices must be >= 0 (0: the whole volume), got " + maxSlices);
                }
            }
            if (p.has("reset_state") && !p.get("reset_state").isJsonNull()
                    && !(p.get("reset_state").isJsonPrimitive() && p.get("reset_state").getAsJsonPrimitive().isBoolean())) {
                throw new MedsaException("params.reset_state must be true or false, got " + p.get("reset_state"));
            }
            return new Request(label, fg, bg, slice, roi, ext, dtype, maxSlices);
        }

        private static List<int[]> points(JsonObject p, String key, int[] shape) {
            List<int[]> out = new ArrayList<>();
            if (!p.has(key) || p.get(key).isJsonNull()) {
                return out;
            }
            if (!p.get(key).isJsonArray()) {
                throw new MedsaException("params." + key + " must be a list of [i, j, k] voxel indices, got " + p.get(key));
            }
            for (JsonElement e : p.getAsJsonArray(key)) {
                if (!e.isJsonArray() || e.getAsJsonArray().size() != 3) {
                    throw new MedsaException("params." + key + " must be a list of [i, j, k] voxel indices, got " + e);
                }
                int[] ijk = new int[3];
                for (int a = 0; a < 3; a++) {
                    ijk[a] = integer(e.getAsJsonArray().get(a), "params." + key);
                    if (ijk[a] < 0 || ijk[a] >= shape[a]) {
                        throw new MedsaException("params." + key + " point " + e + " is outside the volume of " + shape[0] + "x"
                                + shape[1] + "x" + shape[2] + " voxels (indices start at 0)");
                    }
                }
                out.add(ijk);
            }
            return out;
        }

        /** The roi [i0, i1, j0, j1, k0, k1] with each pair ordered and clipped to the volume, or null. */
        private static int[] roi(JsonObject p, int[] shape) {
            if (!p.has("roi") || p.get("roi").isJsonNull()) {
                return null;
            }
            if (!p.get("roi").isJsonArray()) {
                throw new MedsaException("params.roi must be [i0, i1, j0, j1, k0, k1], got " + p.get("roi"));
            }
            JsonArray a = p.getAsJsonArray("roi");
            if (a.isEmpty()) {
                return null;
            }
            if (a.size() != 6) {
                throw new MedsaException("params.roi must be [i0, i1, j0, j1, k0, k1], got " + a);
            }
            int[] r = new int[6];
            for (int axis = 0; axis < 3; axis++) {
                int lo = integer(a.get(2 * axis), "params.roi");
                int hi = integer(a.get(2 * axis + 1), "params.roi");
                if (lo > hi) {
                    int t = lo;
                    lo = hi;
                    hi = t;
                }
                if (hi < 0 || lo > shape[axis] - 1) {
                    throw new MedsaException("params.roi " + a + " lies outside the volume of " + shape[0] + "x" + shape[1] + "x"
                            + shape[2] + " voxels");
                }
                r[2 * axis] = Math.max(0, lo);
                r[2 * axis + 1] = Math.min(shape[axis] - 1, hi);
            }
            return r;
        }

        private static int integer(JsonElement e, String what) {
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
                throw new MedsaException(what + " must hold whole numbers, got " + e);
            }
            double v = e.getAsDouble();
            if (v != Math.rint(v) || Math.abs(v) > 1e9) {
                throw new MedsaException(what + " must hold whole numbers, got " + e);
            }
            return (int) v;
        }

        private static String string(JsonElement e, String what) {
            if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
                throw new MedsaException(what + " must be a string, got " + e);
            }
            return e.getAsString();
        }

        /** The slice of a 2D call: {@code slice}, else the last foreground click's k, the last background's, the roi's middle. */
        int slice2d() {
            if (slice != null) {
                return slice;
            }
            if (!foreground.isEmpty()) {
                return foreground.get(foreground.size() - 1)[2];
            }
            if (!background.isEmpty()) {
                return background.get(background.size() - 1)[2];
            }
            if (roi != null) {
                return (roi[4] + roi[5]) / 2;
            }
            throw new MedsaException("no prompt: params needs foreground clicks ([[i, j, k], ...]) or a roi");
        }

        /** The prompts of a 2D call on slice {@code k}, as {@code medsa segment} takes them (label 1). */
        VolumePrompts onSlice(int k) {
            VolumePrompts v = new VolumePrompts();
            foreground.stream().filter(q -> q[2] == k).forEach(q -> v.point(1, q[0], q[1], k, true));
            background.stream().filter(q -> q[2] == k).forEach(q -> v.point(1, q[0], q[1], k, false));
            if (roi != null) {
                v.box(1, roi[0], roi[2], k, roi[1], roi[3], k);
            }
            return v;
        }

        /** The prompts of a 3D call: every click, the roi as a box through its slices (label 1). */
        VolumePrompts all() {
            VolumePrompts v = new VolumePrompts();
            foreground.forEach(q -> v.point(1, q[0], q[1], q[2], true));
            background.forEach(q -> v.point(1, q[0], q[1], q[2], false));
            if (roi != null) {
                v.box(1, roi[0], roi[2], roi[4], roi[1], roi[3], roi[5]);
            }
            return v;
        }
    }

    private final SegmentationServer.Shared context;

    MonaiLabelModels(SegmentationServer.Shared context) {
        this.context = context;
    }

    boolean has(String name) {
        return MonaiLabelApi.MODEL_2D.equals(name) || MonaiLabelApi.MODEL_3D.equals(name);
    }

    private boolean sam2() {
        return context.model() instanceof Sam2Model;
    }

    String describe() {
        return context.model().describe();
    }

    /** The {@code models} of {@code GET /info/}. */
    Map<String, Object> info() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put(MonaiLabelApi.MODEL_2D, model(2, "The clicked slice: its foreground and background clicks (and ROI box) segment"
                + " the current segment on that slice", Map.of()));
        m.put(MonaiLabelApi.MODEL_3D, model(3, "The clicked slices, then " + (sam2()
                ? "SAM 2's memory propagation through the volume" : "propagation from slice to slice through the volume"),
                Map.of("max_slices", 0)));
        return m;
    }

    private Map<String, Object> model(int dimension, String description, Map<String, Object> config) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("type", "deepgrow");
        d.put("dimension", dimension);
        d.put("labels", List.of());
        d.put("description", description + " (" + context.model().describe() + ")");
        d.put("config", config);
        return d;
    }

    /** Runs a model; the binary label volume on the input's grid. */
    int[] run(String model, InteractiveSession s, Request q) {
        SegmentationInput input = s.input();
        if (!input.isVolume() && q.slice() != null && q.slice() != 0) {
            throw new MedsaException("params.slice must be 0 on a 2D image");
        }
        if (MonaiLabelApi.MODEL_2D.equals(model)) {
            int k = q.slice2d();
            VolumePrompts prompts = q.onSlice(k);
            boolean anyPositive = q.foreground().stream().anyMatch(p -> p[2] == k) || q.roi() != null;
            if (!anyPositive) {
                throw new MedsaException("no prompt on slice " + k + ": give a foreground click on it or a roi");
            }
            if (!sam2()) { // SAM: through the session's cached slice embedding
                List<double[]> points = new ArrayList<>();
                q.foreground().stream().filter(p -> p[2] == k).forEach(p -> points.add(new double[] {p[0], p[1], 1}));
                q.background().stream().filter(p -> p[2] == k).forEach(p -> points.add(new double[] {p[0], p[1], 0}));
                double[] box = q.roi() == null ? null : new double[] {q.roi()[0], q.roi()[2], q.roi()[1], q.roi()[3]};
                InteractiveSession.SegmentResult r = s.segment(2, k, points, box, false, null, 1);
                int[] labels = new int[input.grid().voxelCount()];
                int[] slice = new int[r.mask().length];
                for (int p = 0; p < slice.length; p++) {
                    slice[p] = r.mask()[p] ? 1 : 0;
                }
                input.putSlice(labels, 2, k, slice);
                return labels;
            }
            return segment(input, prompts, VolumeSegmenter.Options.defaults());
        }
        if (q.foreground().isEmpty() && q.roi() == null) {
            throw new MedsaException("no prompt: params needs foreground clicks ([[i, j, k], ...]) or a roi");
        }
        VolumeSegmenter.Options o = VolumeSegmenter.Options.builder()
                .propagate(Propagation.Direction.BOTH, q.maxSlices() == 0 ? Integer.MAX_VALUE : q.maxSlices()).build();
        return segment(input, q.all(), o);
    }

    private int[] segment(SegmentationInput input, VolumePrompts prompts, VolumeSegmenter.Options o) {
        try (VolumeSegmenter v = new VolumeSegmenter(context.model(), context.manager())) {
            return v.segment(input, prompts, o).labels().data();
        }
    }

    /** Writes a result in the format its name says, as {@code type}. */
    void write(SegmentationInput input, int[] labels, Path f, NiftiDatatype type) {
        Segmentation.writeLabels(input, labels, f, type);
    }

    /** Writes a result as DICOM SEG (a DICOM input only), one segment named {@code label}. */
    void writeDicomSeg(SegmentationInput input, int[] labels, String label, Path f) {
        Segmentation.writeLabels(input, labels, f, NiftiDatatype.UINT8, Map.of(1, label));
    }
}
