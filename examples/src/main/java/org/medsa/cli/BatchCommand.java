package org.medsa.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.medsa.core.MedsaException;
import org.medsa.spark.BatchOptions;
import org.medsa.spark.MedsaBatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code medsa batch}: a cohort segmented on Apache Spark ({@link MedsaBatch}), embedded local Spark by default. */
@Command(name = "batch", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Segment a cohort listed in a manifest on Apache Spark (embedded local[*] by default; docs/spark.md).",
            "Manifest columns: id, image, and box | points | truth [+ labels]; optional truth for metrics.",
            "Writes masks/<id>.nii.gz (or .png), results.parquet and results.csv into --out; finished rows are skipped on a "
                    + "re-run."})
public final class BatchCommand implements Callable<Integer> {

    @Option(names = "--manifest", required = true, paramLabel = "<rows.csv|rows.parquet>",
            description = "The cohort: one row per image.")
    Path manifest;
    @Option(names = "--out", required = true, paramLabel = "<dir>",
            description = "Output folder (masks/, rows/, results.parquet, results.csv).")
    Path out;
    @Option(names = "--model", required = true, paramLabel = "<vit_b|vit_l|vit_h|sam2.1_hiera_t|...|medsam2|config.json>",
            description = "Model preset or config.json: SAM, or SAM 2.")
    String model;
    @Option(names = "--checkpoint", required = true, paramLabel = "<file.pth>",
            description = "SAM weights (a path every executor can read).")
    Path checkpoint;
    @Option(names = "--adapter-weights", paramLabel = "<file>", description = "Adapter file written by 'medsa train'.")
    Path adapterWeights;
    @Option(names = "--adapters", paramLabel = "<paper|official-code>",
            description = "Build Med-SA with this adapter preset (default: plain SAM).")
    String adapters;
    @Option(names = "--input-profile", paramLabel = "<sam|medsam|msa-compat>",
            description = "How images enter the model (default: as recorded).")
    String inputProfile;
    @Option(names = "--intensity", defaultValue = "auto", paramLabel = "<auto|ct|mr|lo,hi>",
            description = "Volumes' gray levels, as for segment (default ${DEFAULT-VALUE}).")
    String intensity;
    @Option(names = "--master", defaultValue = "local[*]", paramLabel = "<local[N]|spark://host:port|yarn>",
            description = "Spark master (default ${DEFAULT-VALUE}: embedded, all cores). Under spark-submit the submitted "
                    + "master is used.")
    String master;
    @Option(names = "--overwrite", description = "Recompute rows whose outputs exist.")
    boolean overwrite;
    @Option(names = "--encoder-batch", defaultValue = "1", paramLabel = "N",
            description = "Prompted slices per encoder pass (default ${DEFAULT-VALUE}).")
    int encoderBatch;
    @Option(names = "--threads-per-task", defaultValue = "0", paramLabel = "N",
            description = "PyTorch threads per Spark task (default 0: spark.task.cpus).")
    int threadsPerTask;
    @Option(names = "--propagate", arity = "0..1", fallbackValue = "both", paramLabel = "<both|up|down>",
            description = "Follow each row's labels into the neighbouring slices, as segment --propagate (SAM 2: tracking with"
                    + " its memory).")
    String propagate;
    @Mixin PrecisionOption precision;
    @Option(names = "--verbose", description = "Print stack traces of errors.") boolean verbose;

    @Override
    public Integer call() {
        if (!Files.isRegularFile(checkpoint)) {
            throw new MedsaException(checkpoint + ": no such checkpoint file");
        }
        if (adapterWeights != null && !Files.isRegularFile(adapterWeights)) {
            throw new MedsaException(adapterWeights + ": no such adapter file");
        }
        if (encoderBatch < 1 || threadsPerTask < 0) {
            throw new MedsaException(encoderBatch < 1 ? "--encoder-batch must be at least 1" : "--threads-per-task must be >= 0");
        }
        // checked here, before Spark starts
        BatchOptions o = BatchOptions.builder().model(model, checkpoint).out(out).overwrite(overwrite).intensity(intensity)
                .encoderBatch(encoderBatch).threadsPerTask(threadsPerTask).adapters(adapters).inputProfile(inputProfile)
                .adapterWeights(adapterWeights).propagate(propagate)
                .precision(precision.resolve(null)).build(); // executors run on the CPU
        MedsaBatch.checkManifest(manifest); // before Spark starts (and says anything)
        SparkSession.Builder b = SparkSession.builder().appName("medsa batch");
        if (System.getProperty("spark.master") == null) { // spark-submit sets it
            b.master(master).config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
                    .config("spark.ui.showConsoleProgress", "false");
        }
        SparkSession spark = b.getOrCreate();
        spark.sparkContext().setLogLevel("ERROR");
        try {
            long t0 = System.nanoTime();
            MedsaBatch.Summary s = MedsaBatch.run(spark, manifest, o);
            System.out.printf(Locale.ROOT, "%d rows: %d ok, %d errors in %.1f s; results: %s and %s%n", s.rows(), s.ok(),
                    s.errors(),
                    (System.nanoTime() - t0) / 1e9, s.csv(), s.parquet());
        } finally {
            spark.stop();
        }
        return 0;
    }
}
