package org.medsa.spark;

import java.io.Serializable;
import java.nio.file.Path;
import org.medsa.core.MedsaException;
import org.medsa.core.io.Hashes;

/**
 * What a batch run uses: the model files (paths every executor can read), the output folder (a
 * folder every executor can write, e.g. a shared file system) and how to treat rows already done.
 * Serializable: Spark ships it to the executors.
 */
public final class BatchOptions implements Serializable {

    private static final long serialVersionUID = 1L;

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

    /** The model (a preset like vit_b, or a config.json path) and its SAM checkpoint. */
    public BatchOptions model(String modelPresetOrConfig, String checkpointPath) {
        this.model = modelPresetOrConfig;
        this.checkpoint = checkpointPath;
        return this;
    }

    /** An adapter file written by {@code medsa train} (null: plain SAM, or {@link #adapters}). */
    public BatchOptions adapterWeights(String path) {
        this.adapterWeights = path;
        return this;
    }

    /** Build Med-SA with this adapter preset (paper, official-code) without adapter weights. */
    public BatchOptions adapters(String preset) {
        this.adapters = preset;
        return this;
    }

    /** sam, medsam or msa-compat (default: as recorded in the files). */
    public BatchOptions inputProfile(String profile) {
        this.inputProfile = profile;
        return this;
    }

    /** The output folder: masks/, rows/, results.parquet, results.csv. */
    public BatchOptions out(String folder) {
        this.out = folder;
        return this;
    }

    /** Recompute rows whose outputs exist (default false: they are skipped and their results reused). */
    public BatchOptions overwrite(boolean o) {
        this.overwrite = o;
        return this;
    }

    /** How volumes' values become gray levels (auto, ct, mr, lo,hi), as in {@code segment}. */
    public BatchOptions intensity(String spec) {
        this.intensity = spec;
        return this;
    }

    /** Prompted slices per encoder pass (default 1). */
    public BatchOptions encoderBatch(int n) {
        if (n < 1) {
            throw new MedsaException("the encoder batch must be at least 1, got " + n);
        }
        this.encoderBatch = n;
        return this;
    }

    /**
     * PyTorch threads per task (0, the default: spark.task.cpus); the engine's thread pool is
     * shared by the tasks of an executor, so tasks × threads should be the executor's cores.
     */
    public BatchOptions threadsPerTask(int n) {
        if (n < 0) {
            throw new MedsaException("threads per task must be >= 0, got " + n);
        }
        this.threadsPerTask = n;
        return this;
    }

    /** The model preset or config path. */
    public String model() {
        return model;
    }

    /** The checkpoint path. */
    public String checkpoint() {
        return checkpoint;
    }

    /** The adapter file, or null. */
    public String adapterWeights() {
        return adapterWeights;
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
    public String out() {
        return out;
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

    /**
     * What identifies the model these options load: the model spec, the SHA-256 of the checkpoint
     * and of the adapter file, the adapter preset and the input profile (executors key their loaded
     * model on it; row records fingerprint their results with it).
     */
    public String modelIdentity() {
        return model + "|" + Hashes.sha256(Path.of(checkpoint)) + "|" + (adapterWeights == null ? "-" : Hashes.sha256(Path.of(adapterWeights)))
                + "|" + adapters + "|" + inputProfile;
    }

    /**
     * Checks that the required settings are there.
     *
     * @throws MedsaException naming what is missing
     */
    public void validate() {
        if (model == null || checkpoint == null) {
            throw new MedsaException("a batch needs a model and a checkpoint");
        }
        if (out == null) {
            throw new MedsaException("a batch needs an output folder");
        }
    }
}
