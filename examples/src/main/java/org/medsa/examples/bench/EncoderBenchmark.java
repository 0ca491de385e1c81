package org.medsa.examples.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.medsa.core.modeling.Sam;
import org.medsa.core.modeling.SamConfig;
import org.medsa.core.nn.Ops;

import java.util.Locale;

/**
 * Times building a SAM model with random weights and one image-encoder forward at its input
 * size, and compares the encoder's arithmetic rate with a plain matrix product on the same engine.
 *
 * <pre>java -Dai.djl.offline=true -cp examples/target/medsa.jar org.medsa.examples.bench.EncoderBenchmark [vit_b] [runs]</pre>
 */
public final class EncoderBenchmark {

    private EncoderBenchmark() {}

    public static void main(String[] args) {
        String preset = args.length > 0 ? args[0] : "vit_b";
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        SamConfig cfg = SamConfig.resolve(preset);
        int s = cfg.imageEncoder.imgSize;
        System.out.printf(Locale.ROOT, "engine %s %s, %d threads, device %s%n", Engine.getInstance().getEngineName(),
                Engine.getInstance().getVersion(), Runtime.getRuntime().availableProcessors(), Engine.getInstance().defaultDevice());
        try (NDManager m = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(0);
            long t0 = System.nanoTime();
            Sam sam = new Sam(cfg);
            sam.initialize(m, DataType.FLOAT32);
            long t1 = System.nanoTime();
            double build = (t1 - t0) / 1e9;
            System.out.printf(Locale.ROOT, "build %s (%,d parameters, random init): %.2f s%n", preset,
                    sam.stateDictShapes().values().stream().mapToLong(Shape::size).sum(), build);
            double best = Double.MAX_VALUE;
            for (int r = 0; r < runs; r++) {
                try (NDManager step = m.newSubManager()) {
                    NDArray x = step.randomNormal(new Shape(1, 3, s, s));
                    long a = System.nanoTime();
                    NDArray emb = Ops.noGrad(() -> sam.encodeImage(null, x, false));
                    emb.toFloatArray();
                    double t = (System.nanoTime() - a) / 1e9;
                    best = Math.min(best, t);
                    System.out.printf(Locale.ROOT, "encoder forward %dx%d (run %d): %.2f s -> %s%n", s, s, r + 1, t, emb.getShape());
                }
            }
            double flops = encoderFlops(cfg);
            double rate = flops / best / 1e9;
            double peak = matmulRate(m);
            System.out.printf(Locale.ROOT, "encoder: %.1f GFLOP per image, %.1f GFLOP/s; plain matmul on this engine: %.1f GFLOP/s;"
                    + " ratio %.2f%n", flops / 1e9, rate, peak, rate / peak);
            System.out.printf(Locale.ROOT, "ratio forward / build: %.2f%n", best / build);
        }
    }

    /** Multiply-adds ×2 of the encoder's linear layers and attention products (dominant terms). */
    static double encoderFlops(SamConfig cfg) {
        SamConfig.ImageEncoder e = cfg.imageEncoder;
        double g = e.tokenGrid();
        double n = g * g;
        double d = e.embedDim;
        double f = 2 * n * 3 * e.patchSize * e.patchSize * d; // patch embedding
        java.util.Set<Integer> global = new java.util.HashSet<>();
        for (int i : e.globalAttnIndexes) {
            global.add(i);
        }
        for (int i = 0; i < e.depth; i++) {
            double tokensPerWindow;
            double padded;
            if (global.contains(i) || e.windowSize == 0) {
                tokensPerWindow = n;
                padded = n;
            } else {
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

    static double matmulRate(NDManager m) {
        try (NDManager s = m.newSubManager()) {
            int k = 1024;
            NDArray a = s.randomNormal(new Shape(4096, k));
            NDArray b = s.randomNormal(new Shape(k, k));
            a.matMul(b).toFloatArray();
            long t = System.nanoTime();
            for (int i = 0; i < 3; i++) {
                a.matMul(b).toFloatArray();
            }
            double sec = (System.nanoTime() - t) / 1e9 / 3;
            return 2.0 * 4096 * k * k / sec / 1e9;
        }
    }
}
