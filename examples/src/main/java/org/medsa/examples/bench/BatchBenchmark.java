package org.medsa.examples.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.medsa.data.nifti.NiftiDatatype;
import org.medsa.data.nifti.NiftiImage;
import org.medsa.data.nifti.NiftiWriter;
import org.medsa.data.phantom.Phantom;
import org.medsa.data.phantom.Rendering;
import org.medsa.data.volume.ImageVolume;
import org.medsa.data.volume.LabelVolume;
import org.medsa.demo.DemoModels;
import org.medsa.spark.BatchOptions;
import org.medsa.spark.MedsaBatch;

/**
 * Batch throughput on embedded Spark, in one run: rows per second on local[1] and local[2] for a
 * cohort of phantom volumes (64 x 48 x 32, one box per slice of each organ from the truth) with the
 * demo model, the model loads counted, and the resident memory sampled while the rows go by.
 *
 * <pre>java $SPARK_OPENS -Dai.djl.offline=true -cp examples/target/medsa.jar org.medsa.examples.bench.BatchBenchmark
 * [volumes]</pre>
 * ($SPARK_OPENS: the --add-opens flags of the ./medsa launcher.)
 */
public final class BatchBenchmark {

    private BatchBenchmark() {}

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 50;
        Path work = Files.createTempDirectory("medsa-batch-bench");
        DemoModels.Base base = DemoModels.extractBase(work.resolve("model"));
        Path adapters = DemoModels.extractMrAdapters(work.resolve("model"));
        Phantom p = Phantom.builder().seed(21).size(64, 48, 32).cases(Math.max(2, n)).validationCases(1).rendering(Rendering.MR)
                .build();
        StringBuilder m = new StringBuilder("id,image,box,points,truth,labels\n");
        for (int i = 0; i < n; i++) {
            var v = p.generate(i).volumes();
            Path img = work.resolve("data/v" + i + ".nii.gz");
            Path lab = work.resolve("data/v" + i + "_truth.nii.gz");
            ImageVolume im = v.image();
            LabelVolume l = v.label();
            NiftiWriter.write(NiftiImage.of(im, NiftiDatatype.FLOAT32), img);
            NiftiWriter.write(NiftiImage.of(l, NiftiDatatype.UINT8), lab);
            m.append("v").append(i).append(',').append(img).append(",,,").append(lab).append(",\n");
        }
        Path manifest = work.resolve("manifest.csv");
        Files.writeString(manifest, m.toString());
        System.out.printf(Locale.ROOT,
                "cohort: %d phantom volumes 64x48x32, boxes from the truth on every slice of 4 organs; %d cores%n", n,
                Runtime.getRuntime().availableProcessors());
        double[] rate = new double[3];
        // warm-up (model load, JIT) on 4 rows, not counted
        Path warm = work.resolve("warm.csv");
        Files.writeString(warm, String.join("\n", m.toString().lines().limit(5).toList()) + "\n");
        SparkSession w = SparkSession.builder().master("local[1]").appName("bench").config("spark.ui.enabled", "false")
                .config("spark.driver.host", "127.0.0.1").config("spark.ui.showConsoleProgress", "false").getOrCreate();
        MedsaBatch.run(w, warm, BatchOptions.builder().model(base.config().toString(), base.checkpoint())
                .adapterWeights(adapters).out(work.resolve("warm")).build());
        w.stop();
        for (int cores = 1; cores <= 2; cores++) {
            SparkSession spark = SparkSession.builder().master("local[" + cores + "]").appName("bench")
                    .config("spark.ui.enabled", "false")
                    .config("spark.driver.host", "127.0.0.1").config("spark.ui.showConsoleProgress", "false").getOrCreate();
            spark.sparkContext().setLogLevel("ERROR");
            Path out = work.resolve("out" + cores);
            BatchOptions o = BatchOptions.builder().model(base.config().toString(), base.checkpoint())
                    .adapterWeights(adapters).out(out).build();
            List<double[]> rss = new ArrayList<>();
            Thread sampler = new Thread(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    rss.add(new double[] {count(out.resolve("rows")), Benchmarks.rssGb()});
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            long t0 = System.nanoTime();
            sampler.start();
            MedsaBatch.Summary s = MedsaBatch.run(spark, manifest, o);
            double sec = (System.nanoTime() - t0) / 1e9;
            sampler.interrupt();
            sampler.join();
            spark.stop();
            rate[cores] = s.ok() / sec;
            System.out.printf(Locale.ROOT,
                    "local[%d]: %d rows ok in %.1f s = %.2f rows/s; model loads in this JVM so far: %d%n", cores,
                    s.ok(), sec, rate[cores], MedsaBatch.modelLoadsInThisJvm());
            StringBuilder line = new StringBuilder("  RSS (GiB) after rows done:");
            for (int want : new int[] {n / 10, n / 4, n / 2, 3 * n / 4, n - 1}) {
                for (double[] r : rss) {
                    if (r[0] >= want) {
                        line.append(String.format(Locale.ROOT, " %d: %.2f", (long) r[0], r[1]));
                        break;
                    }
                }
            }
            System.out.println(line + String.format(Locale.ROOT, "; peak %.2f", Benchmarks.peakRssGb()));
        }
        System.out.printf(Locale.ROOT, "scaling local[2] / local[1]: %.2f%n", rate[2] / rate[1]);
    }

    static long count(Path dir) {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(q -> q.toString().endsWith(".json")).count();
        } catch (Exception e) {
            return 0;
        }
    }
}
