package org.medsa.inference.tracking;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.medsa.core.io.Npy;
import org.medsa.core.io.pth.TensorData;
import org.medsa.core.modeling.sam2.Sam2Config;
import org.medsa.core.modeling.sam2.Sam2Model;
import org.medsa.core.predictor.Prompt;
import org.medsa.core.predictor.RgbImage;
import org.medsa.core.testing.ParityTest;
import org.medsa.core.testing.TestData;
import org.medsa.core.testing.Tolerance;
import org.medsa.inference.Propagation;

/**
 * A second recording of the official video predictor ({@code testdata/references/sam2_official_alt},
 * see its README): another architecture (two heads everywhere, width 48, memories of 24 channels
 * in 4 slots, 5 object pointers, a 160-pixel input) on a non-square 7 × 75 × 101 volume, with two
 * objects — clicks, a box, a mask prompt — propagated up and down, then a correction on a tracked
 * slice (a click, then one more appended) and propagation again. It checks the tracker's semantics
 * beyond the fixture's two cases: every step's logits, and every stored output.
 *
 * <p>The official code's own spread on this case (one against two threads) is 4.7e-4 on logits
 * of up to 100; this port reaches 1.4e-3 (float32 sums of another PyTorch). Logits are held to 4e-3,
 * masks must agree wherever the reference logit is not within 4e-3 of 0, and memory features may
 * differ by one bfloat16 step in at most 1% of the values. A wrong rule (which memories, which
 * pointers, which slices) moves them by whole units.
 *
 * <p>The recording's weights are made again here, bit for bit ({@link AltRecordingWeights}), rather
 * than kept in the repository.
 */
class OfficialAltReplayTest extends ParityTest {

    static final double LOGITS = 4e-3;

    @Test
    void replay() throws Exception {
        Path dir = TestData.path("references", "sam2_official_alt");
        JsonObject cs = JsonParser.parseString(Files.readString(dir.resolve("case.json"))).getAsJsonObject();
        TensorData vol = Npy.read(dir.resolve("volume_uint8.npy"));
        int n = (int) vol.shape()[0];
        int h = (int) vol.shape()[1];
        int w = (int) vol.shape()[2];
        List<RgbImage> frames = new ArrayList<>();
        for (int f = 0; f < n; f++) {
            byte[] rgb = new byte[h * w * 3];
            for (int i = 0; i < h * w; i++) {
                byte v = vol.bytes()[f * h * w + i];
                rgb[3 * i] = v;
                rgb[3 * i + 1] = v;
                rgb[3 * i + 2] = v;
            }
            frames.add(new RgbImage(h, w, rgb));
        }
        double worst = 0;
        try (NDManager m = manager.newSubManager()) {
            Path weights = Files.createTempFile("sam2_official_alt", ".pt");
            Sam2Model model;
            try {
                AltRecordingWeights.write(dir, weights);
                model = Sam2Model.load(Sam2Config.load(dir.resolve("config.json")), weights, m);
            } finally {
                Files.deleteIfExists(weights);
            }
            try (VolumeTracker t = VolumeTracker.open(model, SliceSource.of(frames), m)) {
                int k = 0;
                for (JsonElement se : cs.getAsJsonArray("steps")) {
                    JsonObject s = se.getAsJsonObject();
                    String op = s.get("op").getAsString();
                    TrackedSlice out = null;
                    if (op.equals("points")) {
                        Prompt p = new Prompt();
                        JsonArray pts = s.getAsJsonArray("points");
                        for (int i = 0; i < pts.size(); i++) {
                            p.point(pts.get(i).getAsJsonArray().get(0).getAsDouble(), pts.get(i).getAsJsonArray().get(1)
                                    .getAsDouble(),
                                    s.getAsJsonArray("labels").get(i).getAsInt());
                        }
                        out = s.get("clear").getAsBoolean() ? t.addPrompt(s.get("frame").getAsInt(), s.get("obj").getAsInt(), p)
                                : t.addClicks(s.get("frame").getAsInt(), s.get("obj").getAsInt(), p);
                    } else if (op.equals("box")) {
                        JsonArray b = s.getAsJsonArray("box");
                        out = t.addPrompt(s.get("frame").getAsInt(), s.get("obj").getAsInt(), new Prompt()
                                .box(b.get(0).getAsDouble(),
                                b.get(1).getAsDouble(), b.get(2).getAsDouble(), b.get(3).getAsDouble()));
                    } else if (op.equals("mask")) {
                        boolean[] mask = new boolean[h * w];
                        JsonArray r = s.getAsJsonArray("rows");
                        JsonArray c = s.getAsJsonArray("cols");
                        for (int y = r.get(0).getAsInt(); y < r.get(1).getAsInt(); y++) {
                            for (int x = c.get(0).getAsInt(); x < c.get(1).getAsInt(); x++) {
                                mask[y * w + x] = true;
                            }
                        }
                        out = t.addMask(s.get("frame").getAsInt(), s.get("obj").getAsInt(), mask);
                    } else {
                        int step = s.get("step").getAsInt();
                        double[] wp = {0};
                        t.propagate(s.get("reverse").getAsBoolean() ? Propagation.Direction.DOWN : Propagation.Direction.UP, ts
                                -> {
                            wp[0] = Math.max(wp[0],
                                    compare(dir.resolve("step" + step + "_frame" + ts.slice() + ".npy"), ts, "step " + step));
                        });
                        worst = Math.max(worst, wp[0]);
                    }
                    if (out != null) {
                        worst = Math.max(worst, compare(dir.resolve("step" + k + ".npy"), out, "step " + k));
                    }
                    k++;
                }
                double mem = 0;
                int flips = 0;
                for (int obj = 1; obj <= 2; obj++) {
                    for (int f = 0; f < n; f++) {
                        VolumeTracker.SliceState st = t.state(f, obj);
                        String pre = "obj" + obj + "_" + (st.conditioning() ? "cond" : "non_cond") + "_frame_outputs_" + f + "_";
                        masks(pre + "pred_masks", Npy.read(dir.resolve(pre + "pred_masks.npy")).toFloatArray(),
                                st.lowResLogits());
                        Tolerance.assertClose(pre + "obj_ptr", Npy.read(dir.resolve(pre + "obj_ptr.npy")).toFloatArray(),
                                st.objectPointer(), 1e-4, 0);
                        Tolerance.assertClose(pre + "object_score_logits",
                                Npy.read(dir.resolve(pre + "object_score_logits.npy")).toFloatArray(),
                                        new float[] {st.objectScore()},
                                1e-4, 0);
                        float[] ref = Npy.read(dir.resolve(pre + "maskmem_features.npy")).toFloatArray();
                        float[] got = st.memoryFeatures();
                        int here = 0;
                        for (int i = 0; i < ref.length; i++) {
                            if (ref[i] != got[i]) {
                                float step = Math.ulp(Math.max(Math.abs(ref[i]), Math.abs(got[i]))) * 65536f;
                                assertTrue(Math.abs(ref[i] - got[i]) <= step * 1.0001f, pre + "maskmem_features[" + i + "]: "
                                        + got[i]
                                        + " is more than one bfloat16 step from " + ref[i]);
                                here++;
                                mem = Math.max(mem, Math.abs(ref[i] - got[i]));
                            }
                        }
                        assertTrue(here <= ref.length / 100, pre + "maskmem_features: " + here + " values off by a step");
                        flips += here;
                    }
                }
                System.out.println("sam2_official_alt: largest logit difference " + worst + "; " + flips
                        + " memory feature values one bfloat16 step off (largest " + mem + ")");
            }
        }
    }

    /** Logits within {@link #LOGITS}, and the same mask wherever the reference is clearly on one side of 0. */
    private static double masks(String what, float[] ref, float[] got) {
        double d = Tolerance.assertClose(what, ref, got, LOGITS, 0);
        for (int i = 0; i < ref.length; i++) {
            if (Math.abs(ref[i]) > LOGITS) {
                assertEquals(ref[i] > 0, got[i] > 0, what + ": mask pixel " + i);
            }
        }
        return d;
    }

    private static double compare(Path file, TrackedSlice s, String what) {
        float[] ref = Npy.read(file).toFloatArray();
        int objs = s.logits().size();
        assertEquals(ref.length, objs * s.height() * s.width(), what);
        double worst = 0;
        int o = 0;
        for (float[] l : s.logits().values()) {
            float[] part = new float[l.length];
            System.arraycopy(ref, o * l.length, part, 0, l.length);
            worst = Math.max(worst, masks(what + " slice " + s.slice() + " object " + o, part, l));
            o++;
        }
        return worst;
    }
}
