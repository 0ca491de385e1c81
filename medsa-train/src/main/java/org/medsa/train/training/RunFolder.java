package org.medsa.train.training;

import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.medsa.core.MedsaException;
import org.medsa.core.io.AtomicFiles;
import org.medsa.core.io.pth.TensorData;
import org.medsa.core.io.pth.TorchCheckpoint;
import org.medsa.core.io.pth.TorchTensor;

/**
 * A training run's folder: {@code config.json} (what the run is), {@code metrics.jsonl} (one JSON
 * object per logged step and per validation), {@code checkpoint_latest.pth} (the trained weights
 * with the optimiser's and the trainer's state) and the best weights. Every file is written
 * atomically ({@link AtomicFiles}); the metrics log is a journal of one line per record, whose cut
 * last line (a killed run) is dropped on resume, so a killed run leaves the last good state.
 */
public final class RunFolder {

    /** File name of the latest checkpoint. */
    public static final String LATEST = "checkpoint_latest.pth";
    /** File name of the metrics log (one JSON object per line). */
    public static final String METRICS = "metrics.jsonl";
    /** File name of the run description. */
    public static final String CONFIG = "config.json";

    /** What a latest checkpoint holds besides the weights, as saved. */
    public record TrainerState(int step, double bestDice, int bestStep, long optimizerStep, Map<String, TensorData> firstMoments,
            Map<String, TensorData> secondMoments) {}

    private final Path dir;

    /** The run folder {@code dir} (created when the run starts). */
    public RunFolder(Path dir) {
        this.dir = dir;
    }

    /** The folder. */
    public Path dir() {
        return dir;
    }

    /** The latest checkpoint's path. */
    public Path latest() {
        return dir.resolve(LATEST);
    }

    /** True when the folder holds a latest checkpoint (a run that can be resumed). */
    public boolean hasLatest() {
        return Files.exists(latest());
    }

    /**
     * Checks a run folder before anything is loaded: not a file; for a new run, no earlier run in
     * it; for a resumed run, a latest checkpoint to resume from.
     *
     * @throws MedsaException saying which
     */
    public static void check(Path dir, boolean resume) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new MedsaException(dir + ": is a file; the run folder must be a folder");
        }
        boolean started = Files.exists(dir.resolve(LATEST));
        if (!resume && started) {
            throw new MedsaException(dir + " already holds a training run; use --resume to continue it, or another --out");
        }
        if (resume && !started) {
            throw new MedsaException(dir.resolve(LATEST) + ": no checkpoint to resume from");
        }
        if (!Files.exists(dir)) {
            Path parent = dir.toAbsolutePath().getParent();
            while (parent != null && !Files.exists(parent)) {
                parent = parent.getParent();
            }
            if (parent != null && !Files.isWritable(parent)) {
                throw new MedsaException(dir + ": cannot create the run folder (" + parent + " is not writable)");
            }
        } else if (!Files.isWritable(dir)) {
            throw new MedsaException(dir + ": the run folder is not writable");
        }
    }

    /** Starts a new run: writes its description and an empty metrics log. */
    void begin(JsonObject description) throws IOException {
        Files.createDirectories(dir);
        if (hasLatest()) {
            throw new MedsaException(dir + " already holds a training run; use --resume to continue it, or another --out");
        }
        AtomicFiles.writeString(dir.resolve(CONFIG), description.toString());
        AtomicFiles.writeString(dir.resolve(METRICS), "");
    }

    /** Adds one record to the metrics log (a journal: a cut last line is dropped on resume). */
    void log(JsonObject record) {
        AtomicFiles.appendRecord(dir.resolve(METRICS), record.toString());
    }

    /**
     * A saved run description with the training settings that the saving version did not have yet
     * at their defaults (a run started before, say, {@code halfPrecision} existed resumes as it was).
     */
    static JsonObject withDefaults(JsonObject run) {
        JsonObject o = run.deepCopy();
        if (o.has("train_config") && o.get("train_config").isJsonObject()) {
            JsonObject saved = o.getAsJsonObject("train_config");
            JsonObject filled = TrainConfig.fromJson(saved).toJson();
            // a setting this version no longer has stays in, so the run does not match
            saved.entrySet().forEach(e -> {
                if (!filled.has(e.getKey())) {
                    filled.add(e.getKey(), e.getValue());
                }
            });
            o.add("train_config", filled);
        }
        return o;
    }

    /** The entries of the latest checkpoint beyond the weights: optimiser and trainer state. */
    static Map<String, Object> latestExtras(int step, double bestDice, int bestStep, Map<String, Object> optimizerState,
            JsonObject description) {
        Map<String, Object> extra = new LinkedHashMap<>();
        extra.put("optimizer", optimizerState);
        Map<String, Object> trainer = new LinkedHashMap<>();
        trainer.put("step", (long) step);
        trainer.put("best_dice", bestDice);
        trainer.put("best_step", (long) bestStep);
        trainer.put("run", description.toString());
        extra.put("trainer", trainer);
        return extra;
    }

    /**
     * Reads the trainer and optimiser state of the latest checkpoint and cuts the metrics log back
     * to its step.
     *
     * @param now the description of the run being resumed: it must equal the saved one
     * @throws MedsaException for a missing or damaged checkpoint, or a run with other settings
     */
    @SuppressWarnings("unchecked")
    TrainerState resume(JsonObject now) throws IOException {
        Path latest = latest();
        if (!Files.exists(latest)) {
            throw new MedsaException(latest + ": no checkpoint to resume from");
        }
        try (TorchCheckpoint c = TorchCheckpoint.open(latest)) {
            if (!(c.root() instanceof Map<?, ?> root) || !(root.get("trainer") instanceof Map<?, ?> trainer)
                    || !(root.get("optimizer") instanceof Map<?, ?> opt) || !(trainer.get("run") instanceof String run)) {
                throw new MedsaException(latest + ": not a training checkpoint (no trainer/optimizer state)");
            }
            JsonObject saved = withDefaults(JsonParser.parseString(run).getAsJsonObject());
            if (!saved.equals(now)) {
                throw new MedsaException(latest + ": the run was started with other settings; resume with the same"
                        + " model, data and hyperparameters (saved: " + differences(saved, now) + ")");
            }
            Map<String, TensorData> m = new LinkedHashMap<>();
            Map<String, TensorData> v = new LinkedHashMap<>();
            ((Map<Object, Object>) opt.get("exp_avg")).forEach((k, t) -> m.put((String) k, c.read((TorchTensor) t)));
            ((Map<Object, Object>) opt.get("exp_avg_sq")).forEach((k, t) -> v.put((String) k, c.read((TorchTensor) t)));
            int step = ((Number) trainer.get("step")).intValue();
            TrainerState state = new TrainerState(step, ((Number) trainer.get("best_dice")).doubleValue(),
                    ((Number) trainer.get("best_step")).intValue(), ((Number) opt.get("step")).longValue(), m, v);
            truncateMetrics(step);
            return state;
        } catch (ClassCastException | NullPointerException | IllegalStateException | JsonParseException e) {
            throw new MedsaException(latest + ": damaged training checkpoint (its trainer or optimizer state is incomplete)", e);
        }
    }

    private static String differences(JsonObject a, JsonObject b) {
        List<String> d = new ArrayList<>();
        for (String k : a.keySet()) {
            if (!a.get(k).equals(b.get(k))) {
                d.add(k + "=" + a.get(k) + " now " + b.get(k));
            }
        }
        String s = String.join(", ", d);
        return s.length() > 400 ? s.substring(0, 400) + "…" : s;
    }

    private void truncateMetrics(int step) throws IOException {
        Path f = dir.resolve(METRICS);
        if (!Files.exists(f)) {
            return;
        }
        List<String> kept = new ArrayList<>();
        for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
            try {
                if (JsonParser.parseString(line).getAsJsonObject().get("step").getAsInt() <= step) {
                    kept.add(line);
                }
            } catch (RuntimeException e) {
                // a line from before the log was atomic, cut by a crash: drop it
            }
        }
        AtomicFiles.writeString(f, kept.isEmpty() ? "" : String.join("\n", kept) + "\n");
    }
}
