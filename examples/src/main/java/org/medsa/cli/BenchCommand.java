package org.medsa.cli;

import com.google.gson.Gson;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.medsa.adapters.MedsaConfig;
import org.medsa.adapters.ModelLoader;
import org.medsa.core.MedsaException;
import org.medsa.core.modeling.SamConfig;
import org.medsa.core.modeling.sam2.Sam2Config;
import org.medsa.core.nn.ComputePrecision;
import org.medsa.examples.bench.Benchmarks;
import org.medsa.examples.bench.Sam2Benchmarks;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code medsa bench encoder|train|decode|propagate}: speed and memory with random weights ({@link Benchmarks}). */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure the encoder, a training step, the interactive decode or SAM 2's propagation with random weights"
                + " (docs/performance.md).",
        subcommands = {BenchCommand.Encoder.class, BenchCommand.Train.class, BenchCommand.Decode.class,
            BenchCommand.Propagate.class})
public final class BenchCommand implements Runnable {

    @Override
    public void run() {
        throw new MedsaException("bench needs a subcommand: encoder, train, decode or propagate");
    }

    private static final Gson GSON = new Gson();

    static int atLeast(int v, int min, String flag) {
        if (v < min) {
            throw new MedsaException(flag + " must be at least " + min + ", got " + v);
        }
        return v;
    }

    /** {@code bench encoder}. */
    @Command(name = "encoder", mixinStandardHelpOptions = true,
            description = "One image of the model's input size through the image encoder.")
    static final class Encoder implements Callable<Integer> {
        @Option(names = "--model", required = true, paramLabel = "<preset|config.json>",
                description = "vit_b, vit_l, vit_h, a SAM 2 preset (sam2.1_hiera_t, ..., medsam2) or a config.json.")
        String model;
        @Option(names = "--runs", defaultValue = "3", paramLabel = "N",
                description = "Forward passes; the first is the first call (default ${DEFAULT-VALUE}).")
        int runs;
        @Option(names = "--json", description = "Print {first_s, steady_s, gflop, gflops, matmul_gflops, ratio}.")
        boolean json;
        @Option(names = "--half", description = "The blocks in float16, as --precision fp16.")
        boolean half;
        @Mixin PrecisionOption precision;

        @Override
        public Integer call() {
            Benchmarks.Encoder r;
            ComputePrecision p = precision.resolve(null, half);
            if (Sam2Config.describes(model)) {
                r = Sam2Benchmarks.encoder(Sam2Config.resolve(model), atLeast(runs, 1, "--runs"), p.forSam2());
            } else {
                r = Benchmarks.encoder(SamConfig.resolve(model), atLeast(runs, 1, "--runs"), p);
            }
            System.out.println(json ? GSON.toJson(r.json())
                    : String.format(Locale.ROOT, "encoder %s: first %.2f s, steady %.2f s; %.1f GFLOP per"
                    + " image, %.1f GFLOP/s = %.2f of a plain matmul (%.1f GFLOP/s)", model, r.firstS(), r.steadyS(), r.gflop(),
                            r.gflops(),
                    r.ratio(), r.matmulGflops()));
            return 0;
        }
    }

    /** {@code bench train}. */
    @Command(name = "train", mixinStandardHelpOptions = true, description = "Adapter training steps on random images and masks.")
    static final class Train implements Callable<Integer> {
        @Option(names = "--model", required = true, paramLabel = "<preset|config.json>",
                description = "vit_b, vit_l, vit_h, a SAM 2 preset (sam2.1_hiera_t, ..., medsam2) or a config.json.")
        String model;
        @Option(names = "--adapters", defaultValue = "paper", paramLabel = "<paper|official-code>",
                description = "Adapter preset (default ${DEFAULT-VALUE}).")
        String adapters;
        @Option(names = "--sequence", defaultValue = "2", paramLabel = "T",
                description = "SAM 2: slices per training chunk (default ${DEFAULT-VALUE}).")
        int sequence;
        @Option(names = "--train-memory", description = "SAM 2: train the memory modules too.")
        boolean trainMemory;
        @Option(names = "--steps", defaultValue = "3", paramLabel = "N",
                description = "Steps; the median after the first is reported (default ${DEFAULT-VALUE}).")
        int steps;
        @Option(names = "--batch", defaultValue = "1", paramLabel = "N",
                description = "Images per step (default ${DEFAULT-VALUE}).")
        int batch;
        @Option(names = "--checkpointing", description = "Activation checkpointing of the encoder blocks.")
        boolean checkpointing;
        @Option(names = "--half", description = "The frozen encoder in float16, as --precision fp16.")
        boolean half;
        @Mixin PrecisionOption precision;
        @Option(names = "--json", description = "Print {step_s, peak_rss_gb, trainable}.")
        boolean json;

        @Override
        public Integer call() throws Exception {
            MedsaConfig.preset(adapters); // refuse an unknown preset before building the model
            boolean sam2 = ModelLoader.isSam2(model);
            Benchmarks.Train r = sam2
                    ? Benchmarks.trainSam2(Sam2Config.resolve(model), atLeast(sequence, 2, "--sequence"),
                            atLeast(steps, 1, "--steps"), checkpointing, trainMemory, precision.resolve(null, half))
                    : Benchmarks.train(SamConfig.resolve(model), adapters, atLeast(steps, 1, "--steps"),
                            atLeast(batch, 1, "--batch"), checkpointing, precision.resolve(null, half));
            System.out.println(json ? GSON.toJson(r.json())
                    : String.format(Locale.ROOT, "train %s (%s%s, %s): %.2f s per step, peak RSS"
                    + " %.2f GiB, %,d trainable parameters", model, adapters, checkpointing ? ", checkpointing" : "",
                            sam2 ? "a chunk of " + sequence + " slices" : "batch " + batch,
                            r.stepS(),
                    r.peakRssGb(), r.trainable()));
            return 0;
        }
    }

    /** {@code bench decode}. */
    @Command(name = "decode", mixinStandardHelpOptions = true,
            description = "One point prompt against an already computed embedding.")
    static final class Decode implements Callable<Integer> {
        @Option(names = "--model", required = true, paramLabel = "<preset|config.json>",
                description = "vit_b, vit_l, vit_h or a config.json.")
        String model;
        @Option(names = "--runs", defaultValue = "50", paramLabel = "N",
                description = "Decodes measured (default ${DEFAULT-VALUE}).")
        int runs;
        @Option(names = "--json", description = "Print {p50_ms, p95_ms}.")
        boolean json;
        @Mixin PrecisionOption precision;

        @Override
        public Integer call() {
            Benchmarks.Decode r = Benchmarks.decode(SamConfig.resolve(model), atLeast(runs, 1, "--runs"),
                    precision.resolve(null));
            System.out.println(json ? GSON.toJson(r.json())
                    : String.format(Locale.ROOT, "decode %s: p50 %.1f ms, p95 %.1f ms", model, r.p50Ms(),
                    r.p95Ms()));
            return 0;
        }
    }

    /** {@code bench propagate}. */
    @Command(name = "propagate", mixinStandardHelpOptions = true,
            description = "SAM 2 on random slices: one click on slice 0, then forward propagation through the volume.")
    static final class Propagate implements Callable<Integer> {
        @Option(names = "--model", required = true, paramLabel = "<sam2.1_hiera_t|...|medsam2|config.json>",
                description = "A SAM 2 preset or config.json.")
        String model;
        @Option(names = "--slices", defaultValue = "8", paramLabel = "N",
                description = "Slices of the volume (512 x 512 each), at least 2 (default ${DEFAULT-VALUE}).")
        int slices;
        @Option(names = "--json", description = "Print {first_slice_s, per_slice_s}.")
        boolean json;
        @Mixin PrecisionOption precision;

        @Override
        public Integer call() {
            if (!Sam2Config.describes(model)) {
                throw new MedsaException("--model " + model + ": propagation with memory needs a SAM 2 model (sam2.1_hiera_t,"
                        + " sam2.1_hiera_s, sam2.1_hiera_b+, sam2.1_hiera_l, medsam2 or a SAM 2 config.json)");
            }
            Sam2Benchmarks.Propagate r = Sam2Benchmarks.propagate(Sam2Config.resolve(model), atLeast(slices, 2, "--slices"),
                    precision.resolve(null).forSam2());
            System.out.println(json ? GSON.toJson(r.json())
                    : String.format(Locale.ROOT, "propagate %s over %d slices: first slice %.2f s, %.2f s per propagated slice",
                            model, r.slices(), r.firstSliceS(), r.perSliceS()));
            return 0;
        }
    }
}
