package org.medsa.inference.tracking;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.medsa.core.io.pth.TensorData;
import org.medsa.core.modeling.sam2.Sam2Config;
import org.medsa.core.modeling.sam2.Sam2Model;
import org.medsa.core.predictor.Prompt;
import org.medsa.core.predictor.RgbImage;
import org.medsa.core.testing.Fixtures;
import org.medsa.core.testing.ParityTest;
import org.medsa.core.testing.Tolerance;
import org.medsa.inference.Propagation;

/**
 * The tracker against the official video predictor ({@code sam2_tiny}): both recorded cases
 * replayed prompt by prompt, then every slice's logits at the volume's size, and for every slice
 * the stored low-res masks, object pointers, object scores and bfloat16 memory features.
 *
 * <p>Tolerances: the fixture was made on another CPU. The official code itself, run on this
 * project's CI machine with the same PyTorch and one thread, reproduces it to 3.4e-5 on the slice
 * logits and one bfloat16 step on a few memory features (its float32 sums round differently);
 * this port reaches 3.1e-5 and the same steps. Logits are held to 5e-5, every binary mask must be
 * identical, and memory features may differ by one bfloat16 step in at most 1% of the values.
 */
class VolumeTrackerParityTest extends ParityTest {

    static final String FIXTURE = "sam2_tiny";

    static Sam2Model model(NDManager m) {
        return Sam2Model.load(Sam2Config.load(Fixtures.path(FIXTURE, "config.json")), Fixtures.path(FIXTURE, "checkpoint.pt"), m);
    }

    static SliceSource volume() {
        TensorData vol = Fixtures.npy(FIXTURE, "volume_uint8.npy");
        int n = (int) vol.shape()[0];
        int h = (int) vol.shape()[1];
        int w = (int) vol.shape()[2];
        byte[] all = vol.bytes();
        List<RgbImage> frames = new ArrayList<>();
        for (int f = 0; f < n; f++) {
            byte[] rgb = new byte[h * w * 3];
            for (int i = 0; i < h * w; i++) {
                byte v = all[f * h * w + i];
                rgb[3 * i] = v;
                rgb[3 * i + 1] = v;
                rgb[3 * i + 2] = v;
            }
            frames.add(new RgbImage(h, w, rgb));
        }
        return SliceSource.of(frames);
    }

    static Prompt prompt(JsonObject p) {
        Prompt prompt = new Prompt();
        if (p.has("box") && !p.get("box").isJsonNull()) {
            JsonArray b = p.getAsJsonArray("box");
            prompt.box(b.get(0).getAsDouble(), b.get(1).getAsDouble(), b.get(2).getAsDouble(), b.get(3).getAsDouble());
        }
        if (p.has("points") && !p.get("points").isJsonNull()) {
            JsonArray pts = p.getAsJsonArray("points");
            JsonArray labels = p.getAsJsonArray("labels");
            for (int i = 0; i < pts.size(); i++) {
                JsonArray xy = pts.get(i).getAsJsonArray();
                prompt.point(xy.get(0).getAsDouble(), xy.get(1).getAsDouble(), labels.get(i).getAsInt());
            }
        }
        return prompt;
    }

    /** Largest differences per array kind, printed for the closing note. */
    private static final Map<String, Double> WORST = new TreeMap<>();

    /** Logits and low-res masks: the spread of the official code on this machine (see class comment). */
    static final double LOGITS = 5e-5;

    private static void close(String kind, String what, float[] ref, float[] got, double atol) {
        double d = Tolerance.assertClose(what, ref, got, atol, 0);
        WORST.merge(kind, d, Math::max);
    }

    /** Logits close, and the masks they threshold to identical. */
    private static void logits(String kind, String what, float[] ref, float[] got) {
        close(kind, what, ref, got, LOGITS);
        for (int i = 0; i < ref.length; i++) {
            assertEquals(ref[i] > 0, got[i] > 0, what + ": mask pixel " + i + " (ref " + ref[i] + ", got " + got[i] + ")");
        }
    }

    /** bfloat16 values: equal, or one bfloat16 step apart in at most 1% of them. */
    private static void bfloat16(String what, float[] ref, float[] got) {
        assertEquals(ref.length, got.length, what);
        int steps = 0;
        double worst = 0;
        for (int i = 0; i < ref.length; i++) {
            assertEquals(ref[i], bf16(ref[i]), 0f, what + ": the reference holds bfloat16 values");
            float d = Math.abs(ref[i] - got[i]);
            if (d != 0) {
                // one step of bfloat16 (8 significant bits) at the larger of the two
                float step = Math.ulp(Math.max(Math.abs(ref[i]), Math.abs(got[i]))) * 65536f;
                assertTrue(d <= step * 1.0001f, what + "[" + i + "]: " + got[i] + " is more than one bfloat16 step from "
                        + ref[i]);
                steps++;
                worst = Math.max(worst, d);
            }
        }
        assertTrue(steps <= ref.length / 100, what + ": " + steps + " of " + ref.length + " values differ by a bfloat16 step");
        WORST.merge("memory features", worst, Math::max);
        WORST.merge("memory features off by a step", (double) steps, Math::max);
    }

    /** x rounded to bfloat16 on the host (the bits' upper half, ties to even). */
    private static float bf16(float x) {
        int b = Float.floatToRawIntBits(x);
        int rounded = (b + 0x7fff + ((b >>> 16) & 1)) & 0xffff0000;
        return Float.intBitsToFloat(rounded);
    }

    @Test
    void clickOnTheMiddleSlicePropagatedBothWays() {
        replay("click_middle", t -> {
            t.propagate(Propagation.Direction.UP, s -> checkSlice("click_middle", s));
            t.propagate(Propagation.Direction.DOWN, s -> checkSlice("click_middle", s));
        });
    }

    @Test
    void boxThenACorrectionPropagatedForward() {
        replay("box_then_correct", t -> t.propagate(Propagation.Direction.UP, s -> checkSlice("box_then_correct", s)));
    }

    private static void checkSlice(String c, TrackedSlice s) {
        logits("slice logits", c + " frame" + s.slice() + "_logits",
                Fixtures.floats(FIXTURE, c, "frame" + s.slice() + "_logits.npy"), s.logits(1));
    }

    private void replay(String c, Consumer<VolumeTracker> propagation) {
        JsonObject cs = Fixtures.json(FIXTURE, c, "case.json").getAsJsonObject();
        try (NDManager m = manager.newSubManager()) {
            Sam2Model model = model(m);
            try (VolumeTracker t = VolumeTracker.open(model, volume(), m)) {
                int i = 0;
                for (JsonElement pe : cs.getAsJsonArray("prompts")) {
                    JsonObject p = pe.getAsJsonObject();
                    int frame = p.get("frame").getAsInt();
                    TrackedSlice s = t.addPrompt(frame, 1, prompt(p));
                    logits("prompt logits", c + " prompt" + i, Fixtures.floats(FIXTURE, c, "prompt" + i + "_frame" + frame
                            + "_logits.npy"), s.logits(1));
                    i++;
                }
                propagation.accept(t);
                List<Integer> cond = new ArrayList<>();
                cs.getAsJsonArray("cond_frames").forEach(e -> cond.add(e.getAsInt()));
                for (JsonElement fe : cs.getAsJsonArray("frames")) {
                    int f = fe.getAsInt();
                    String prefix = (cond.contains(f) ? "cond" : "non_cond") + "_frame_outputs_" + f + "_";
                    VolumeTracker.SliceState st = t.state(f, 1);
                    assertEquals(cond.contains(f), st.conditioning(), c + " frame " + f + " conditioning");
                    logits("low-res masks", c + " " + prefix + "pred_masks",
                            Fixtures.floats(FIXTURE, c, prefix + "pred_masks.npy"), st.lowResLogits());
                    close("object pointers", c + " " + prefix + "obj_ptr", Fixtures.floats(FIXTURE, c, prefix + "obj_ptr.npy"),
                            st.objectPointer(), 5e-6);
                    close("object scores", c + " " + prefix + "object_score_logits",
                            Fixtures.floats(FIXTURE, c, prefix + "object_score_logits.npy"), new float[] {st.objectScore()},
                                    5e-6);
                    bfloat16(c + " " + prefix + "maskmem_features", Fixtures.floats(FIXTURE, c, prefix + "maskmem_features.npy"),
                            st.memoryFeatures());
                }
            }
        }
        System.out.println("SAM2 PARITY " + c + " " + WORST);
    }

    /**
     * {@code --precision bf16} (the trunk and the memory attention in bfloat16) on both cases:
     * every slice's mask, propagated through the memory, against the official float32 masks, with
     * an IoU of at least 0.97 on each slice (the bound of a float32 port is identical masks).
     */
    @Test
    void bfloat16TracksLikeFloat32() {
        double worst = 1;
        for (String c : new String[] {"click_middle", "box_then_correct"}) {
            JsonObject cs = Fixtures.json(FIXTURE, c, "case.json").getAsJsonObject();
            try (NDManager m = manager.newSubManager()) {
                Sam2Model model = model(m);
                model.computeType(DataType.BFLOAT16);
                try (VolumeTracker t = VolumeTracker.open(model, volume(), m)) {
                    for (JsonElement pe : cs.getAsJsonArray("prompts")) {
                        JsonObject p = pe.getAsJsonObject();
                        t.addPrompt(p.get("frame").getAsInt(), 1, prompt(p));
                    }
                    List<TrackedSlice> slices = new ArrayList<>();
                    t.propagate(Propagation.Direction.UP, slices::add);
                    if (c.equals("click_middle")) {
                        t.propagate(Propagation.Direction.DOWN, slices::add);
                    }
                    for (TrackedSlice s : slices) {
                        float[] ref = Fixtures.floats(FIXTURE, c, "frame" + s.slice() + "_logits.npy");
                        worst = Math.min(worst, Tolerance.lowestMaskIou(ref, s.logits(1), ref.length));
                    }
                }
            }
        }
        System.out.println("SAM2 bf16: lowest per-slice mask IoU against the official float32 " + worst);
        assertTrue(worst >= 0.97, "a slice with IoU " + worst);
    }
}
