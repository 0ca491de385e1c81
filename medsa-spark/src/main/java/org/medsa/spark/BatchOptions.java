package org.medsa.spark;

import java.io.Serializable;
import java.nio.file.Path;
import org.medsa.core.Diagnostics;
import org.medsa.core.MedsaException;
import org.medsa.core.io.Hashes;
import org.medsa.core.modeling.SamConfig;
import org.medsa.core.modeling.sam2.Sam2Config;
import org.medsa.core.nn.ComputePrecision;
import org.medsa.data.transforms.Intensity;
import org.medsa.inference.Propagation;

/**
 * What a batch run uses, immutable: the model files (paths every executor can read), the output
 * folder (a folder every executor can write, e.g. a shared file system) and how to treat rows
 * already done. Serializable: Spark ships it to the executors.
 *
 * <pre>{@code
 * BatchOptions o = BatchOptions.builder().model("vit_b", Path.of("/models/sam_vit_b.pth")).out(Path.of("/data/out")).build();
 * }</pre>
 */
public final class BatchOptions implements Serializable {

    private static final long serialVersionUID = 2L;

    // paths as strings: java.nio.file.Path is not serializable
    private String model;
    private String checkpoint;
    private String adapterWeights;
    private String adapters;
    private String inputProfile;
    private String out;
    private boolean overwrite;
    private String intensity = "auto";
    private int encoderBatch = 1;
    private int threadsPerTask;
    private String propagate;
    private String precision = "fp32";

    private BatchOptions() {}

    /** A builder with the defaults: plain SAM unless adapters are given, finished rows skipped, intensity auto. */
    public static Builder builder() {
        return new Builder(new BatchOptions());
    }

    /** A builder starting from these options. */
    public Builder toBuilder() {
        return new Builder(copy());
    }

    private BatchOptions copy() {
        BatchOptions c = new BatchOptions();
        c.model = model;
        c.checkpoint = checkpoint;
        c.adapterWeights = adapterWeights;
        c.adapters = adapters;
        c.inputProfile = inputProfile;
        c.out = out;
        c.overwrite = overwrite;
        c.intensity = intensity;
        c.encoderBatch = encoderBatch;
        c.threadsPerTask = threadsPerTask;
        c.propagate = propagate;
        c.precision = precision;
        return c;
    }

    /** The model preset or config path. */
    public String model() {
        return model;
    }

    /** The checkpoint. */
    public Path checkpoint() {
        return Path.of(checkpoint);
    }

    /** The adapter file, or null. */
    public Path adapterWeights() {
        return adapterWeights == null ? null : Path.of(adapterWeights);
    }

    /** The adapter preset, or null. */
    public String adapters() {
        return adapters;
    }

    /** The input profile, or null. */
    public String inputProfile() {
        return inputProfile;
    }

    /** The output folder. */
    public Path out() {
        return Path.of(out);
    }

    /** Whether finished rows are recomputed. */
    public boolean overwrite() {
        return overwrite;
    }

    /** The intensity mapping. */
    public String intensity() {
        return intensity;
    }

    /** Prompted slices per encoder pass. */
    public int encoderBatch() {
        return encoderBatch;
    }

    /** PyTorch threads per task (0: spark.task.cpus). */
    public int threadsPerTask() {
        return threadsPerTask;
    }

    /** The propagation of each row's labels (both, up or down), or null for the prompted slices only. */
    public String propagate() {
        return propagate;
    }

    /** The image encoder's arithmetic: fp32 (the default), bf16 or fp16 ({@link ComputePrecision}). */
    public ComputePrecision precision() {
        return ComputePrecision.parse(precision, null, Diagnostics.none());
    }

    /**
     * What identifies the model these options load: the model spec, the SHA-256 of the checkpoint
     * and of the adapter file, the adapter preset, the input profile and a precision other than
     * fp32 (executors key their loaded
     * model on it; row records fingerprint their results with it).
     */
    public String modelIdentity() {
        return model + "|" + Hashes.sha256(Path.of(checkpoint)) + "|"
                + (adapterWeights == null ? "-" : Hashes.sha256(Path.of(adapterWeights)))
                + "|" + adapters + "|" + inputProfile + ("fp32".equals(precision) ? "" : "|" + precision);
    }

    /** Options being made; {@link #build} checks them. */
    public static final class Builder {
        private final BatchOptions o;

        private Builder(BatchOptions o) {
            this.o = o;
        }

        /** The model (a preset like vit_b, or a config.json path) and its SAM checkpoint. */
        public Builder model(String modelPresetOrConfig, Path checkpoint) {
            // a config file is named by its absolute path, as the weight files are: executors may run elsewhere
            boolean preset = modelPresetOrConfig == null || SamConfig.PRESETS.contains(modelPresetOrConfig)
                    || Sam2Config.PRESETS.contains(modelPresetOrConfig);
            o.model = preset ? modelPresetOrConfig : Path.of(modelPresetOrConfig).toAbsolutePath().toString();
            o.checkpoint = checkpoint == null ? null : checkpoint.toAbsolutePath().toString();
            return this;
        }

        /** An adapter file written by {@code medsa train} (null: plain SAM, or {@link #adapters}). */
        public Builder adapterWeights(Path file) {
            o.adapterWeights = file == null ? null : file.toAbsolutePath().toString();
            return this;
        }

        /** Build Med-SA with this adapter preset (paper, official-code) without adapter weights. */
        public Builder adapters(String preset) {
            o.adapters = preset;
            return this;
        }

        /** sam, medsam or msa-compat (default: as recorded in the files). */
        public Builder inputProfile(String profile) {
            o.inputProfile = profile;
            return this;
        }

        /** The output folder: masks/, rows/, results.parquet, results.csv. */
        public Builder out(Path folder) {
            o.out = folder == null ? null : folder.toAbsolutePath().toString();
            return this;
        }

        /** Recompute rows whose outputs exist (default false: they are skipped and their results reused). */
        public Builder overwrite(boolean overwrite) {
            o.overwrite = overwrite;
            return this;
        }

        /** How volumes' values become gray levels (auto, ct, mr, lo,hi), as in {@code segment}. */
        public Builder intensity(String spec) {
            o.intensity = spec;
            return this;
        }

        /** Prompted slices per encoder pass (default 1, at least 1). */
        public Builder encoderBatch(int n) {
            o.encoderBatch = n;
            return this;
        }

        /**
         * PyTorch threads per task (0, the default: spark.task.cpus); the engine's thread pool is
         * shared by the tasks of an executor, so tasks × threads should be the executor's cores.
         */
        public Builder threadsPerTask(int n) {
            o.threadsPerTask = n;
            return this;
        }

        /**
         * Follows each row's labels into the neighbouring slices as {@code segment --propagate}
         * does: SAM from slice to slice, SAM 2 tracking with its memory ({@code both}, {@code up}
         * or {@code down}; null: the prompted slices only, the default).
         */
        public Builder propagate(String direction) {
            o.propagate = direction;
            return this;
        }

        /** The image encoder's arithmetic (default fp32; "auto" is resolved here, on the driver). */
        public Builder precision(ComputePrecision p) {
            o.precision = p.id();
            return this;
        }

        /**
         * The options.
         *
         * @throws MedsaException naming what is missing or out of range
         */
        public BatchOptions build() {
            if (o.model == null || o.checkpoint == null) {
                throw new MedsaException("a batch needs a model and a checkpoint");
            }
            if (o.out == null) {
                throw new MedsaException("a batch needs an output folder");
            }
            if (o.encoderBatch < 1) {
                throw new MedsaException("the encoder batch must be at least 1, got " + o.encoderBatch);
            }
            if (o.threadsPerTask < 0) {
                throw new MedsaException("threads per task must be >= 0, got " + o.threadsPerTask);
            }
            Intensity.parse(o.intensity);
            if (o.propagate != null) {
                Propagation.Direction.parse(o.propagate);
            }
            return o.copy();
        }
    }
}
