package org.medsa.examples.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.medsa.core.MedsaException;
import org.medsa.core.modeling.sam2.Sam2Config;
import org.medsa.core.modeling.sam2.Sam2Model;
import org.medsa.core.nn.ComputePrecision;
import org.medsa.core.nn.Ops;
import org.medsa.core.predictor.Prompt;
import org.medsa.core.predictor.RgbImage;
import org.medsa.inference.Propagation;
import org.medsa.inference.tracking.SliceSource;
import org.medsa.inference.tracking.VolumeTracker;

/**
 * SAM 2 measurements behind {@code medsa bench encoder} (for SAM 2 presets) and {@code medsa bench
 * propagate}: random weights (PyTorch's initialisation) and random 512 × 512 slices; only shapes
 * matter for speed.
 */
public final class Sam2Benchmarks {

    private Sam2Benchmarks() {}

    /** Slices of the benchmark volume are this size, a CT's. */
    static final int SLICE = 512;

    /** Propagation timings: the first slice (a click, the first encoder call) and the mean per propagated slice. */
    public record Propagate(double firstSliceS, double perSliceS, int slices) {
        /** {@code medsa bench propagate --json}'s object: first_slice_s, per_slice_s. */
        public Map<String, Object> json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("first_slice_s", firstSliceS);
            m.put("per_slice_s", perSliceS);
            return m;
        }
    }

    private static Sam2Model randomModel(Sam2Config cfg, NDManager m) {
        Engine.getInstance().setRandomSeed(0);
        Sam2Model model = new Sam2Model(cfg);
        model.initialize(m, DataType.FLOAT32);
        return model;
    }

    /** A frame of random gray noise. */
    private static RgbImage noise(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] rgb = new byte[SLICE * SLICE * 3];
        for (int i = 0; i < SLICE * SLICE; i++) {
            byte v = (byte) r.nextInt(256);
            rgb[3 * i] = v;
            rgb[3 * i + 1] = v;
            rgb[3 * i + 2] = v;
        }
        return new RgbImage(SLICE, SLICE, rgb);
    }

    /**
     * One frame at the model's input size through the image encoder ({@code forward_image}), {@code
     * runs} times; the first is the first call.
     */
    public static Benchmarks.Encoder encoder(Sam2Config cfg, int runs, ComputePrecision precision) {
        int s = cfg.imageSize;
        try (NDManager m = NDManager.newBaseManager()) {
            Sam2Model model = randomModel(cfg, m);
            model.imageEncoder().computeType(precision.dataType());
            double[] t = new double[Math.max(1, runs)];
            for (int r = 0; r < t.length; r++) {
                try (NDManager step = m.newSubManager()) {
                    NDArray x = step.randomNormal(new Shape(1, 3, s, s));
                    long a = System.nanoTime();
                    Ops.noGrad(() -> model.encodeImage(null, x, false).top().toFloatArray());
                    t[r] = (System.nanoTime() - a) / 1e9;
                }
            }
            double steady = t.length == 1 ? t[0] : Benchmarks.median(Arrays.copyOfRange(t, 1, t.length));
            double gflop = encoderFlops(cfg) / 1e9;
            double mm = Benchmarks.matmulRate(m);
            return new Benchmarks.Encoder(t[0], steady, gflop, gflop / steady, mm, gflop / steady / mm);
        }
    }

    /**
     * SAM 2's propagation on a volume of {@code slices} random slices: one click on slice 0 (timed:
     * encoder and heads of the first call), then forward propagation through the rest (timed:
     * memory encoding of slice 0 and every slice's encoder, memory attention, heads and memory
     * encoder, over slices − 1).
     */
    public static Propagate propagate(Sam2Config cfg, int slices, ComputePrecision precision) {
        if (slices < 2) {
            throw new MedsaException("--slices must be at least 2 (a clicked slice and one to propagate to), got " + slices);
        }
        List<RgbImage> frames = new ArrayList<>();
        for (int k = 0; k < slices; k++) {
            frames.add(noise(k));
        }
        try (NDManager m = NDManager.newBaseManager()) {
            Sam2Model model = randomModel(cfg, m);
            model.computeType(precision.dataType());
            try (VolumeTracker t = VolumeTracker.open(model, SliceSource.of(frames), m)) {
                long a = System.nanoTime();
                t.addPrompt(0, 1, new Prompt().point(SLICE / 2.0, SLICE / 2.0, 1));
                double first = (System.nanoTime() - a) / 1e9;
                long b = System.nanoTime();
                t.propagate(Propagation.Direction.UP, s -> { });
                double per = (System.nanoTime() - b) / 1e9 / (slices - 1);
                return new Propagate(first, per, slices);
            }
        }
    }

    /** Multiply-adds ×2 of the trunk's and neck's linear layers, attention products and convolutions (dominant terms). */
    public static double encoderFlops(Sam2Config cfg) {
        Sam2Config.Trunk t = cfg.trunk;
        double side = cfg.imageSize / 4.0;
        double f = 2 * side * side * 3 * 49 * t.embedDim; // patch embedding, 7×7
        int depth = Arrays.stream(t.stages).sum();
        int stage = 0;
        int ends = t.stages[0] - 1;
        double dim = t.embedDim;
        for (int b = 0; b < depth; b++) {
            final int i = b;
            boolean pools = i > 0 && i - 1 == ends && stage < t.qPool;
            double dimOut = dim;
            int windowStage = stage;
            if (i > 0 && i - 1 == ends) {
                dimOut = (int) (dim * t.dimMul);
                stage++;
                ends += t.stages[stage];
            }
            boolean global = Arrays.stream(t.globalAttBlocks).anyMatch(g -> g == i);
            double n = side * side;
            double q = pools ? n / 4 : n;
            double window = global ? n : (double) t.windowSpec[windowStage] * t.windowSpec[windowStage];
            double keysPerQuery = global ? n : window;
            f += 2 * n * dim * 3 * dimOut;              // qkv
            f += 2 * 2 * q * keysPerQuery * dimOut;     // q·kᵀ and attn·v
            f += 2 * q * dimOut * dimOut;               // proj
            f += 2 * 2 * q * dimOut * dimOut * 4;       // MLP
            if (dim != dimOut) {
                f += 2 * n * dim * dimOut;              // shortcut projection
            }
            if (pools) {
                side /= 2;
            }
            dim = dimOut;
        }
        double s0 = cfg.imageSize / 4.0;
        for (int l = 0; l < t.stages.length; l++) {
            double sl = s0 / (1 << Math.min(l, t.qPool));
            f += 2 * sl * sl * cfg.neck.backboneChannelList[t.stages.length - 1 - l] * cfg.neck.dModel; // lateral 1×1
        }
        return f;
    }
}
