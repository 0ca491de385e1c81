package org.medsa.spark;

import ai.djl.pytorch.jni.JniUtils;
import com.google.gson.Gson;
import com.google.gson.reflect.TypeToken;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.medsa.core.Diagnostics;
import org.medsa.core.MedsaException;
import org.medsa.core.io.AtomicFiles;
import org.medsa.core.modeling.PromptableModel;

/**
 * Cohort-scale segmentation on Apache Spark: every manifest row is one {@code VolumeSegmenter}
 * call on an executor (so a row's mask equals {@code medsa segment} on the same image and prompt),
 * with the model loaded once per executor JVM. Masks and per-row records are written atomically
 * into the output folder; a bad row becomes an error row and never fails the job; re-running skips
 * finished rows.
 *
 * <pre>{@code
 * SparkSession spark = SparkSession.builder().master("local[*]").getOrCreate();
 * BatchOptions o = BatchOptions.builder().model("vit_b", Path.of("/models/sam_vit_b.pth")).out(Path.of("/data/out")).build();
 * MedsaBatch.Summary s = MedsaBatch.run(spark, Path.of("cohort.csv"), o);
 * }</pre>
 */
public final class MedsaBatch {

    /** The columns of {@link #segment}'s result. */
    public static final StructType RESULT_SCHEMA = new StructType(new StructField[] {
        DataTypes.createStructField("id", DataTypes.StringType, true),
        DataTypes.createStructField("status", DataTypes.StringType, false),
        DataTypes.createStructField("mask", DataTypes.StringType, true),
        DataTypes.createStructField("seconds", DataTypes.DoubleType, false),
        DataTypes.createStructField("metrics", DataTypes.StringType, false)});

    private static final Gson GSON = new Gson();

    /** What a run did: rows, ok rows, error rows, and where the tables are. */
    public record Summary(long rows, long ok, long errors, Path parquet, Path csv) {}

    private MedsaBatch() {}

    /**
     * Segments every row of {@code manifest} (columns {@code id}, {@code image} and the prompt
     * columns of {@link BatchRow}), writing masks into {@code options.out()/masks}. The result has
     * one row per manifest row: {@code id}, {@code status} ("ok" or the error), {@code mask}
     * (relative path), {@code seconds}, {@code metrics} (JSON: label → dice, iou, hd95). Lazy, as
     * Spark datasets are; rows are computed when the result is used.
     */
    public static Dataset<Row> segment(Dataset<Row> manifest, BatchOptions options) {
        requireColumns(List.of(manifest.columns()), "manifest dataset");
        MapPartitionsFunction<Row, Row> f = rows -> segmentPartition(rows, options);
        return manifest.mapPartitions(f, Encoders.row(RESULT_SCHEMA));
    }

    private static Iterator<Row> segmentPartition(Iterator<Row> rows, BatchOptions options) {
        if (!rows.hasNext()) {
            return List.<Row>of().iterator();
        }
        TaskContext task = TaskContext.get();
        int threads = options.threadsPerTask() > 0 ? options.threadsPerTask() : task != null ? Math.max(1, task.cpus()) : 0;
        PromptableModel sam = ExecutorModels.get(options);
        if (threads > 0) {
            JniUtils.setNumThreads(threads);
        }
        List<Row> out = new ArrayList<>();
        try (RowSegmenter segmenter = new RowSegmenter(sam, ExecutorModels.manager(options), options)) {
            while (rows.hasNext()) {
                BatchRow row = BatchRow.of(rows.next());
                BatchResult r = segmenter.process(row);
                // the executor's log
                Diagnostics.stderr()
                        .note(String.format(Locale.ROOT, "batch: %s %s (%.2f s)", r.id(), r.ok() ? "ok" : "error: " + r.status(),
                        r.seconds()));
                out.add(RowFactory.create(r.id(), r.status(), r.mask(), r.seconds(), GSON.toJson(r.metrics())));
            }
        }
        return out.iterator();
    }

    /**
     * Reads a manifest (.csv with a header, or .parquet), segments it, and writes {@code
     * results.parquet} and {@code results.csv} into the output folder: {@code id}, {@code status},
     * {@code mask}, {@code seconds}, and {@code dice_L}, {@code iou_L}, {@code hd95_L} for every
     * truth label L of the cohort, sorted by id. Rows with a duplicate id are error rows.
     *
     * @throws MedsaException for a missing or unreadable manifest, or missing settings
     */
    public static Summary run(SparkSession spark, Path manifestFile, BatchOptions options) {
        return run(spark, manifestFile, options, Diagnostics.stderr());
    }

    /** As {@link #run(SparkSession, Path, BatchOptions)}; warnings (an empty manifest) go to {@code diagnostics}. */
    public static Summary run(SparkSession spark, Path manifestFile, BatchOptions options, Diagnostics diagnostics) {
        Dataset<Row> manifest = readManifest(spark, manifestFile);
        List<String> ids = manifest.select("id").as(Encoders.STRING()).collectAsList();
        if (ids.isEmpty()) {
            diagnostics.warn(manifestFile + ": the manifest has a header but no rows; nothing to segment");
        }
        Path out = options.out();
        try {
            Files.createDirectories(out.resolve("masks"));
            Files.createDirectories(out.resolve("rows"));
        } catch (IOException e) {
            throw new MedsaException(out + ": cannot create the output folder (" + AtomicFiles.reason(e) + ")", e);
        }
        // duplicate ids would write the same files: the first keeps the id, the others become error rows
        Map<String, Long> seen = new HashMap<>();
        Set<String> duplicates = new TreeSet<>();
        for (String id : ids) {
            if (id != null && seen.merge(id, 1L, Long::sum) > 1) {
                duplicates.add(id);
            }
        }
        // a small manifest file is one partition: spread the rows so every core gets some (rows differ in cost,
        // so a few partitions per core balance better than one)
        int partitions = (int) Math.max(1, Math.min(seen.size(), 4L * spark.sparkContext().defaultParallelism()));
        Dataset<Row> unique = manifest.dropDuplicates("id").repartition(partitions);
        List<Row> results = new ArrayList<>(segment(unique, options).collectAsList());
        for (String d : duplicates) {
            for (long n = 1; n < seen.get(d); n++) {
                results.add(RowFactory.create(d, "duplicate id '" + d + "' in the manifest: only its first row is segmented",
                        null, 0.0,
                        "{}"));
            }
        }
        results.sort(Comparator.comparing((Row r) -> r.getString(0) == null ? "" : r.getString(0))
                .thenComparing(r -> r.getString(1)));
        return writeTables(spark, results, out);
    }

    /**
     * Checks a manifest file before Spark starts: it exists, it is a .csv or a .parquet, and a CSV
     * is not empty and has the columns {@code id} and {@code image} in its header line (a Parquet
     * file's columns are checked when it is read).
     *
     * @throws MedsaException naming the manifest and the problem
     */
    public static void checkManifest(Path file) {
        if (!Files.isRegularFile(file) && !Files.isDirectory(file)) {
            throw new MedsaException(file + ": no such manifest");
        }
        String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
        if (n.endsWith(".parquet")) {
            return;
        }
        if (!n.endsWith(".csv")) {
            throw new MedsaException(file + ": a manifest is a .csv (with a header) or a .parquet file");
        }
        if (Files.isDirectory(file)) {
            return; // a folder of CSV parts, as Spark writes them
        }
        String header;
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            header = r.readLine();
        } catch (IOException e) {
            throw new MedsaException(file + ": cannot read (" + AtomicFiles.reason(e) + ")", e);
        }
        if (header == null || header.isBlank()) {
            throw new MedsaException(file + ": the manifest is empty; it needs a header line with the columns id and image");
        }
        List<String> columns = new ArrayList<>();
        for (String c : header.split(",(?=(?:[^\"]*\"[^\"]*\")*[^\"]*$)", -1)) {
            columns.add(c.strip().replaceAll("^\"|\"$", ""));
        }
        requireColumns(columns, file.toString());
    }

    /** The manifest columns every row needs: {@code id} and {@code image}. */
    private static void requireColumns(List<String> columns, String manifest) {
        for (String needed : new String[] {"id", "image"}) {
            if (!columns.contains(needed)) {
                throw new MedsaException(manifest + ": the manifest has no column '" + needed + "' (its columns: "
                        + String.join(", ", columns) + ")");
            }
        }
    }

    /**
     * A manifest file as a dataset (CSV with a header line, all columns strings; or Parquet), checked
     * for the columns {@code id} and {@code image}.
     *
     * @throws MedsaException naming the manifest: missing, empty, of another format, or without a
     *     needed column
     */
    public static Dataset<Row> readManifest(SparkSession spark, Path file) {
        if (!Files.isRegularFile(file) && !Files.isDirectory(file)) {
            throw new MedsaException(file + ": no such manifest");
        }
        String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
        Dataset<Row> manifest;
        if (n.endsWith(".parquet")) {
            manifest = spark.read().parquet(file.toString());
        } else if (n.endsWith(".csv")) {
            try {
                if (Files.isRegularFile(file) && Files.size(file) == 0) {
                    throw new MedsaException(file
                            + ": the manifest is empty; it needs a header line with the columns id and image");
                }
            } catch (IOException e) {
                throw new MedsaException(file + ": cannot read (" + AtomicFiles.reason(e) + ")", e);
            }
            manifest = spark.read().option("header", "true").option("mode", "FAILFAST").csv(file.toString());
        } else {
            throw new MedsaException(file + ": a manifest is a .csv (with a header) or a .parquet file");
        }
        requireColumns(List.of(manifest.columns()), file.toString());
        return manifest;
    }

    private static Summary writeTables(SparkSession spark, List<Row> results, Path out) {
        TreeSet<Integer> labels = new TreeSet<>();
        List<Map<Integer, Double[]>> metrics = new ArrayList<>();
        for (Row r : results) {
            Map<Integer, Double[]> m = GSON.fromJson(r.getString(4), new TypeToken<TreeMap<Integer, Double[]>>() {}.getType());
            metrics.add(m);
            labels.addAll(m.keySet());
        }
        List<StructField> fields = new ArrayList<>(List.of(RESULT_SCHEMA.fields()).subList(0, 4));
        for (int l : labels) {
            for (String k : new String[] {"dice", "iou", "hd95"}) {
                fields.add(DataTypes.createStructField(k + "_" + l, DataTypes.DoubleType, true));
            }
        }
        StructType schema = new StructType(fields.toArray(new StructField[0]));
        List<Row> wide = new ArrayList<>();
        StringBuilder csv = new StringBuilder(String.join(",", schema.fieldNames())).append('\n');
        long ok = 0;
        for (int i = 0; i < results.size(); i++) {
            Row r = results.get(i);
            ok += "ok".equals(r.getString(1)) ? 1 : 0;
            List<Object> values = new ArrayList<>(List.of(r.get(0) == null ? "" : r.get(0), r.get(1)));
            values.add(r.get(2));
            values.add(r.get(3));
            for (int l : labels) {
                Double[] m = metrics.get(i).get(l);
                for (int k = 0; k < 3; k++) {
                    values.add(m == null ? null : m[k]);
                }
            }
            wide.add(RowFactory.create(values.toArray()));
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < values.size(); c++) {
                line.append(c == 0 ? "" : ",").append(csvCell(values.get(c)));
            }
            csv.append(line).append('\n');
        }
        Path csvFile = out.resolve("results.csv");
        AtomicFiles.writeString(csvFile, csv.toString());
        Path parquet = out.resolve("results.parquet");
        Path tmp = out.resolve(".results.parquet." + Long.toUnsignedString(System.nanoTime(), 36) + ".tmp");
        spark.createDataFrame(wide, schema).coalesce(1).write().parquet(tmp.toString());
        AtomicFiles.replaceFolder(tmp, parquet);
        return new Summary(results.size(), ok, results.size() - ok, parquet, csvFile);
    }

    private static String csvCell(Object v) {
        if (v == null) {
            return "";
        }
        String s = v instanceof Double d ? String.format(Locale.ROOT, "%.6g", d) : v.toString();
        return s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }

    /** How many models this JVM has loaded for batches (the model is loaded once per executor JVM). */
    public static int modelLoadsInThisJvm() {
        return ExecutorModels.loads();
    }
}
