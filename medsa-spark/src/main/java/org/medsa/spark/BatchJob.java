package org.medsa.spark;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.SparkSession;
import org.medsa.core.MedsaException;

/**
 * The {@code spark-submit} entry point of the batch job (the same work as {@code medsa batch}, with
 * the master and resources given to spark-submit):
 *
 * <pre>spark-submit --class org.medsa.spark.BatchJob medsa-spark-assembly.jar --manifest rows.csv --out /shared/out
 *     --model vit_b --checkpoint /shared/sam_vit_b.pth [--adapter-weights a.pth] [--overwrite] ...</pre>
 * Bad arguments: one line on stderr and exit code 2.
 */
public final class BatchJob {

    private static final Set<String> FLAGS = Set.of("--manifest", "--out", "--model", "--checkpoint", "--adapter-weights",
            "--adapters",
            "--input-profile", "--intensity", "--encoder-batch", "--threads-per-task");

    private BatchJob() {}

    /** Runs the job; exits 2 for bad arguments or settings. */
    public static void main(String[] args) {
        Map<String, String> a = new HashMap<>();
        boolean overwrite = false;
        try {
            for (int i = 0; i < args.length; i++) {
                if (args[i].equals("--overwrite")) {
                    overwrite = true;
                } else if (FLAGS.contains(args[i]) && i + 1 < args.length) {
                    a.put(args[i], args[++i]);
                } else {
                    throw new MedsaException("unknown or incomplete argument '" + args[i] + "' (flags: " + FLAGS
                            + ", --overwrite)");
                }
            }
            for (String req : new String[] {"--manifest", "--out", "--model", "--checkpoint"}) {
                if (!a.containsKey(req)) {
                    throw new MedsaException(req + " is required");
                }
            }
            BatchOptions o = BatchOptions.builder().model(a.get("--model"), Path.of(a.get("--checkpoint")))
                    .out(Path.of(a.get("--out")))
                    .overwrite(overwrite)
                            .adapterWeights(a.containsKey("--adapter-weights") ? Path.of(a.get("--adapter-weights")) : null)
                    .adapters(a.get("--adapters")).inputProfile(a.get("--input-profile"))
                            .intensity(a.getOrDefault("--intensity", "auto"))
                    .encoderBatch(Integer.parseInt(a.getOrDefault("--encoder-batch", "1")))
                    .threadsPerTask(Integer.parseInt(a.getOrDefault("--threads-per-task", "0"))).build();
            SparkSession spark = SparkSession.builder().appName("medsa batch").getOrCreate();
            try {
                long t0 = System.nanoTime();
                MedsaBatch.Summary s = MedsaBatch.run(spark, Path.of(a.get("--manifest")), o);
                System.out.printf(Locale.ROOT, "%d rows: %d ok, %d errors in %.1f s; results: %s and %s%n", s.rows(), s.ok(),
                        s.errors(),
                        (System.nanoTime() - t0) / 1e9, s.csv(), s.parquet());
            } finally {
                spark.stop();
            }
        } catch (MedsaException | NumberFormatException e) {
            System.err.println("error: " + (e instanceof NumberFormatException ? "not a whole number: " : "") + e.getMessage());
            System.exit(2);
        }
    }
}
