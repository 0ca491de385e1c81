package org.medsa.examples.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.medsa.adapters.MedsaConfig;
import org.medsa.adapters.MedsaModel;
import org.medsa.adapters.MedsaSam2Model;
import org.medsa.core.Diagnostics;
import org.medsa.core.io.AtomicFiles;
import org.medsa.core.modeling.PromptableModel;
import org.medsa.core.modeling.Sam;
import org.medsa.core.modeling.SamConfig;
import org.medsa.core.modeling.sam2.Sam2Config;
import org.medsa.core.nn.ComputePrecision;
import org.medsa.core.nn.Ops;
import org.medsa.core.predictor.Prompt;
import org.medsa.core.predictor.RgbImage;
import org.medsa.core.predictor.SamPredictor;
import org.medsa.data.transforms.Sample;
import org.medsa.train.training.TrainConfig;
import org.medsa.train.training.Trainable;
import org.medsa.train.training.Trainer;
import org.medsa.train.training.TrainingData;

/**
 * The measurements behind {@code medsa bench}: the image encoder's speed (first call, steady state,
 * arithmetic rate against a plain matrix product on the same engine), an adapter training step's
 * time and peak memory, and the interactive decode latency. Random weights and inputs: only shapes
 * matter for speed.
 */
public final class Benchmarks {

    private Benchmarks() {}

    /** Encoder timings: seconds of the first and of a steady-state forward, GFLOP per image, GFLOP/s, matmul GFLOP/s, ratio. */
    public record Encoder(double firstS, double steadyS, double gflop, double gflops, double matmulGflops, double ratio) {
        /** {@code medsa bench encoder --json}'s object: first_s, steady_s, gflop, gflops, matmul_gflops, ratio. */
        public Map<String, Object> json() {
            return ordered("first_s", firstS, "steady_s", steadyS, "gflop", gflop, "gflops", gflops, "matmul_gflops",
                    matmulGflops,
                    "ratio", ratio);
        }
    }

    /** Training: median step seconds after the first, the process's peak resident memory (GiB), trainable parameters. */
    public record Train(double stepS, double peakRssGb, long trainable) {
        /** {@code medsa bench train --json}'s object: step_s, peak_rss_gb, trainable. */
        public Map<String, Object> json() {
            return ordered("step_s", stepS, "peak_rss_gb", peakRssGb, "trainable", trainable);
        }
    }

    /** Decoding one point prompt against a computed embedding: p50 and p95 milliseconds. */
    public record Decode(double p50Ms, double p95Ms) {
        /** {@code medsa bench decode --json}'s object: p50_ms, p95_ms. */
        public Map<String, Object> json() {
            return ordered("p50_ms", p50Ms, "p95_ms", p95Ms);
        }
    }

    private static Map<String, Object> ordered(Object... keysAndValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            m.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return m;
    }

    /**
     * One image of the model's input size through the encoder, {@code runs} times (the first is the
     * first call); the blocks compute in {@code precision}.
     */
    public static Encoder encoder(SamConfig cfg, int runs, ComputePrecision precision) {
        int s = cfg.imageEncoder.imgSize;
        try (NDManager m = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(0);
            Sam sam = new Sam(cfg);
            sam.initialize(m, DataType.FLOAT32);
            sam.imageEncoder().computeType(precision.dataType());
            double[] t = new double[Math.max(1, runs)];
            for (int r = 0; r < t.length; r++) {
                try (NDManager step = m.newSubManager()) {
                    NDArray x = step.randomNormal(new Shape(1, 3, s, s));
                    long a = System.nanoTime();
                    Ops.noGrad(() -> sam.encodeImage(null, x, false).toFloatArray());
                    t[r] = (System.nanoTime() - a) / 1e9;
                }
            }
            double steady = t.length == 1 ? t[0] : median(Arrays.copyOfRange(t, 1, t.length));
            double gflop = encoderFlops(cfg) / 1e9;
            double mm = matmulRate(m);
            return new Encoder(t[0], steady, gflop, gflop / steady, mm, gflop / steady / mm);
        }
    }

    /**
     * {@code steps} adapter training steps of batch {@code batch} on random images and masks at the
     * model's input size, random base weights; the frozen encoder computing in {@code precision}.
     */
    public static Train train(SamConfig cfg, String preset, int steps, int batch, boolean checkpointing,
            ComputePrecision precision)
            throws IOException {
        Path run = Files.createTempDirectory("medsa-bench-train");
        try (NDManager m = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(1);
            MedsaModel model = new MedsaModel(cfg, MedsaConfig.preset(preset));
            model.initialize(m, DataType.FLOAT32);
            model.freeze();
            Trainable adapters = Trainable.adapters(model, null);
            Trainable noSaving = new NoSaving(adapters);
            long trainable = adapters.parameters().values().stream().mapToLong(p -> p.getArray().size()).sum();
            TrainConfig.Builder tc = TrainConfig.builder(preset);
            tc.steps(steps);
            tc.batch(batch);
            tc.checkpointing(checkpointing);
            tc.precision(precision);
            tc.checkpointEvery(Integer.MAX_VALUE);
            tc.correctiveRounds(Math.min(tc.correctiveRounds(), 1));
            try (Trainer trainer = new Trainer(noSaving, randomData(cfg.imageEncoder.imgSize, 16), null, tc.build(), run,
                    List.of(Device.cpu()),
                    Diagnostics.none())) {
                return timed(trainer, steps, trainable);
            }
        } finally {
            AtomicFiles.deleteTree(run);
        }
    }

    /** One point prompt decoded {@code runs} times against a computed embedding (after 5 warm-up decodes). */
    public static Decode decode(SamConfig cfg, int runs, ComputePrecision precision) {
        try (NDManager m = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(0);
            Sam sam = new Sam(cfg);
            sam.initialize(m, DataType.FLOAT32);
            sam.imageEncoder().computeType(precision.dataType()); // the embedding's; the decoder stays float32
            int s = cfg.imageEncoder.imgSize;
            byte[] px = new byte[s * s * 3];
            new SplittableRandom(1).nextBytes(px);
            try (SamPredictor p = new SamPredictor(sam, m)) {
                p.setImage(new RgbImage(s, s, px));
                SplittableRandom r = new SplittableRandom(2);
                for (int i = 0; i < 5; i++) {
                    p.predict(new Prompt().point(r.nextInt(s), r.nextInt(s), 1), false);
                }
                double[] ms = new double[runs];
                for (int i = 0; i < runs; i++) {
                    Prompt q = new Prompt().point(r.nextInt(s), r.nextInt(s), 1);
                    long a = System.nanoTime();
                    p.predict(q, false);
                    ms[i] = (System.nanoTime() - a) / 1e6;
                }
                Arrays.sort(ms);
                return new Decode(ms[runs / 2], ms[Math.min(runs - 1, (int) Math.ceil(runs * 0.95) - 1)]);
            }
        }
    }

    /**
     * Med-SA on SAM 2: {@code steps} training steps of one chunk of {@code frames} random slices
     * (tracked with memory, {@link org.medsa.train.sam2.SequenceRounds}) at the model's input size,
     * random base weights, the adapters (and with {@code trainMemory} the memory modules) trained.
     */
    public static Train trainSam2(Sam2Config cfg, int frames, int steps, boolean checkpointing, boolean trainMemory,
            ComputePrecision precision) throws IOException {
        Path run = Files.createTempDirectory("medsa-bench-train");
        try (NDManager m = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(1);
            MedsaSam2Model model = new MedsaSam2Model(cfg, MedsaConfig.preset("paper"), trainMemory);
            model.initialize(m, DataType.FLOAT32);
            model.freeze();
            Trainable adapters = Trainable.adapters(model, null);
            long trainable = adapters.parameters().values().stream().mapToLong(p -> p.getArray().size()).sum();
            TrainConfig tc = TrainConfig.sam2().steps(steps).checkpointing(checkpointing).precision(precision)
                    .checkpointEvery(Integer.MAX_VALUE).build();
            try (Trainer trainer = new Trainer(new NoSaving(adapters), randomChunks(cfg.imageSize, frames, 4), tc, run,
                    List.of(Device.cpu()), Diagnostics.none(), null)) {
                return timed(trainer, steps, trainable);
            }
        } finally {
            AtomicFiles.deleteTree(run);
        }
    }

    /** Runs {@code steps} steps one at a time: the median step after the first, and the peak RSS. */
    private static Train timed(Trainer trainer, int steps, long trainable) throws IOException {
        double[] t = new double[steps];
        for (int i = 1; i <= steps; i++) {
            long a = System.nanoTime();
            trainer.runUntil(i);
            t[i - 1] = (System.nanoTime() - a) / 1e9;
        }
        double step = steps == 1 ? t[0] : median(Arrays.copyOfRange(t, 1, steps));
        return new Train(step, peakRssGb(), trainable);
    }

    /** A trainable that keeps nothing (a benchmark saves no files). */
    private record NoSaving(Trainable inner) implements Trainable {
        @Override
        public PromptableModel model() {
            return inner.model();
        }

        @Override
        public Map<String, Parameter> parameters() {
            return inner.parameters();
        }

        @Override
        public void save(Path file, long step, Map<String, Object> extra) {
            // a benchmark keeps nothing
        }

        @Override
        public void load(Path file, NDManager manager) {
            throw new UnsupportedOperationException();
        }

        @Override
        public JsonObject describe() {
            return inner.describe();
        }
    }

    /** Chunks of {@code frames} slices, each one of {@link #randomData}'s images (its own ellipse). */
    static TrainingData randomChunks(int size, int frames, int count) {
        TrainingData slices = randomData(size, count * frames);
        return new TrainingData() {
            @Override
            public long size() {
                return count;
            }

            @Override
            public int depth() {
                return frames;
            }

            @Override
            public Sample sample(long index) {
                int plane = size * size;
                float[] img = new float[frames * 3 * plane];
                float[] mask = new float[frames * plane];
                for (int f = 0; f < frames; f++) {
                    Sample s = slices.sample(index * frames + f);
                    System.arraycopy(s.image(), 0, img, f * 3 * plane, 3 * plane);
                    System.arraycopy(s.target(), 0, mask, f * plane, plane);
                }
                return new Sample(frames, 3, size, size, img, mask);
            }

            @Override
            public void setEpoch(int epoch) {
                // no augmentation
            }
        };
    }

    /** Random gray images with one random ellipse as the mask each, at the model's input size. */
    static TrainingData randomData(int size, int count) {
        return new TrainingData() {
            @Override
            public long size() {
                return count;
            }

            @Override
            public int depth() {
                return 1;
            }

            @Override
            public Sample sample(long index) {
                SplittableRandom r = new SplittableRandom(index * 31 + 7);
                float[] img = new float[3 * size * size];
                float[] mask = new float[size * size];
                double cx = size * (0.3 + 0.4 * r.nextDouble());
                double cy = size * (0.3 + 0.4 * r.nextDouble());
                double rx = size * (0.08 + 0.1 * r.nextDouble());
                double ry = size * (0.08 + 0.1 * r.nextDouble());
                for (int y = 0; y < size; y++) {
                    for (int x = 0; x < size; x++) {
                        boolean in = Math.pow((x - cx) / rx, 2) + Math.pow((y - cy) / ry, 2) <= 1;
                        mask[y * size + x] = in ? 1 : 0;
                        float v = (float) (in ? 150 + 60 * r.nextDouble() : 40 + 60 * r.nextDouble());
                        for (int c = 0; c < 3; c++) {
                            img[c * size * size + y * size + x] = v;
                        }
                    }
                }
                return new Sample(1, 3, size, size, img, mask);
            }

            @Override
            public void setEpoch(int epoch) {
                // no augmentation
            }
        };
    }

    /** Multiply-adds ×2 of the encoder's linear layers and attention products (dominant terms). */
    public static double encoderFlops(SamConfig cfg) {
        SamConfig.ImageEncoder e = cfg.imageEncoder;
        double g = e.tokenGrid();
        double n = g * g;
        double d = e.embedDim;
        double f = 2 * n * 3 * e.patchSize * e.patchSize * d; // patch embedding
        Set<Integer> global = new HashSet<>();
        for (int i : e.globalAttnIndexes) {
            global.add(i);
        }
        for (int b = 0; b < e.depth; b++) {
            double padded = n;
            double tokensPerWindow = n;
            if (!global.contains(b) && e.windowSize > 0) {
                double side = Math.ceil(g / e.windowSize) * e.windowSize;
                padded = side * side;
                tokensPerWindow = (double) e.windowSize * e.windowSize;
            }
            f += 2 * padded * d * 3 * d + 2 * n * d * d;            // qkv, proj
            f += 2 * 2 * padded * tokensPerWindow * d;               // q·kᵀ and attn·v
            f += 2 * 2 * n * d * d * e.mlpRatio;                     // MLP
        }
        f += 2 * n * d * e.outChans + 2 * n * 9 * e.outChans * e.outChans; // neck
        return f;
    }

    /** GFLOP/s of a plain (4096×1024)·(1024×1024) float32 product on this engine, best of 3. */
    public static double matmulRate(NDManager m) {
        try (NDManager s = m.newSubManager()) {
            int k = 1024;
            NDArray a = s.randomNormal(new Shape(4096, k));
            NDArray b = s.randomNormal(new Shape(k, k));
            a.matMul(b).toFloatArray();
            double best = Double.MAX_VALUE;
            for (int i = 0; i < 3; i++) {
                long t = System.nanoTime();
                a.matMul(b).toFloatArray();
                best = Math.min(best, (System.nanoTime() - t) / 1e9);
            }
            return 2.0 * 4096 * k * k / best / 1e9;
        }
    }

    /** Peak resident memory of this process (VmHWM) in GiB (2^30 bytes); -1 where /proc is missing. */
    public static double peakRssGb() {
        return statusGiB("VmHWM");
    }

    /** Resident memory of this process now (VmRSS) in GiB; -1 where /proc is missing. */
    public static double rssGb() {
        return statusGiB("VmRSS");
    }

    private static double statusGiB(String key) {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (l.startsWith(key + ":")) {
                    return Long.parseLong(l.replaceAll("[^0-9]", "")) / 1048576.0;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** The median of {@code v}. */
    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
