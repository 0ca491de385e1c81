package org.medsa.data.dataset;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.medsa.core.MedsaException;

/**
 * The contents of an MSD {@code dataset.json}: name, modalities, label names and the labelled
 * cases.
 *
 * <p>Accepted forms:
 *
 * <ul>
 *   <li>{@code "labels"} as {"0": "background", "1": "spleen"} (MSD, MONAI) or {"background": 0,
 *       "spleen": 1} (nnU-Net v2);
 *   <li>{@code "modality"} (MSD) or {@code "channel_names"} (nnU-Net v2);
 *   <li>{@code "training"}: a list of {"image": ..., "label": ...} paths relative to the root
 *       (leading "./" allowed); optional {@code "validation"} in the same form (MONAI's split);
 *       {@code "test"} (images without labels) is ignored.
 * </ul>
 */
public final class MsdDescriptor {

    private final Path root;
    private final String name;
    private final Map<Integer, String> modalities;
    private final Map<Integer, String> labels;
    private final List<MsdCase> training;
    private final List<MsdCase> validation;

    private MsdDescriptor(Path root, String name, Map<Integer, String> modalities, Map<Integer, String> labels,
            List<MsdCase> training, List<MsdCase> validation) {
        this.root = root;
        this.name = name;
        this.modalities = Collections.unmodifiableMap(modalities);
        this.labels = Collections.unmodifiableMap(labels);
        this.training = Collections.unmodifiableList(training);
        this.validation = validation == null ? null : Collections.unmodifiableList(validation);
    }

    /** Reads {@code root/dataset.json}; a missing or malformed file is a {@link MedsaException}. */
    public static MsdDescriptor read(Path root) {
        Path file = root.resolve("dataset.json");
        JsonObject json;
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            JsonElement e = JsonParser.parseReader(r);
            if (!e.isJsonObject()) {
                throw new MedsaException(file + ": not a JSON object");
            }
            json = e.getAsJsonObject();
        } catch (NoSuchFileException e) {
            throw new MedsaException(file + ": file not found (an MSD dataset needs dataset.json,"
                    + " imagesTr/ and labelsTr/)", e);
        } catch (IOException e) {
            throw new MedsaException(file + ": cannot read (" + e.getMessage() + ")", e);
        } catch (JsonParseException e) {
            throw new MedsaException(file + ": malformed JSON (" + firstLine(e.getMessage()) + ")", e);
        }
        String where = file.toString();
        String name = json.has("name") && json.get("name").isJsonPrimitive() ? json.get("name").getAsString()
                : root.getFileName() == null ? "dataset" : root.getFileName().toString();
        Map<Integer, String> modalities = json.has("modality")
                ? intKeyed(json.get("modality"), where + " \"modality\"")
                : json.has("channel_names") ? intKeyed(json.get("channel_names"), where + " \"channel_names\"")
                : new TreeMap<>();
        if (!json.has("labels")) {
            throw new MedsaException(where + ": no \"labels\" (the organ names, e.g. {\"0\": \"background\", \"1\": \"liver\"})");
        }
        Map<Integer, String> labels = labels(json.get("labels"), where);
        if (!json.has("training")) {
            throw new MedsaException(where + ": no \"training\" list of {\"image\": ..., \"label\": ...}");
        }
        List<MsdCase> training = cases(root, json.get("training"), where + " \"training\"");
        List<MsdCase> validation = json.has("validation")
                ? cases(root, json.get("validation"), where + " \"validation\"") : null;
        Set<String> ids = new HashSet<>();
        List<MsdCase> all = new ArrayList<>(training);
        if (validation != null) {
            all.addAll(validation);
        }
        List<String> duplicates = new ArrayList<>();
        for (MsdCase c : all) {
            if (!ids.add(c.caseId())) {
                duplicates.add(c.imageName());
            }
        }
        if (!duplicates.isEmpty()) {
            throw new MedsaException(where + ": case listed more than once: " + String.join(", ", duplicates));
        }
        return new MsdDescriptor(root, name, modalities, labels, training, validation);
    }

    /** The dataset's root folder (where {@code dataset.json} is). */
    public Path root() {
        return root;
    }

    /** The dataset's {@code "name"}, or the root folder's name when it has none. */
    public String name() {
        return name;
    }

    /** Channel index to modality name, e.g. {0: "CT"}. */
    public Map<Integer, String> modalities() {
        return modalities;
    }

    /** True when channel {@code channel} is CT (so HU windowing applies). */
    public boolean isCt(int channel) {
        String m = modalities.get(channel);
        return m != null && m.trim().toUpperCase(Locale.ROOT).equals("CT");
    }

    /** Label value to name, including 0 (background), ascending. */
    public Map<Integer, String> labels() {
        return labels;
    }

    /** Label values other than 0, ascending. */
    public List<Integer> organLabels() {
        List<Integer> out = new ArrayList<>();
        for (int v : labels.keySet()) {
            if (v != 0) {
                out.add(v);
            }
        }
        return out;
    }

    /** The cases of the {@code "training"} list. */
    public List<MsdCase> training() {
        return training;
    }

    /** The listed validation cases, or null when dataset.json has none. */
    public List<MsdCase> validation() {
        return validation;
    }

    /** True when {@code dataset.json} lists validation cases. */
    public boolean hasValidationList() {
        return validation != null;
    }

    private static Map<Integer, String> intKeyed(JsonElement e, String where) {
        if (!e.isJsonObject()) {
            throw new MedsaException(where + ": expected an object like {\"0\": \"CT\"}");
        }
        Map<Integer, String> out = new TreeMap<>();
        for (Map.Entry<String, JsonElement> en : e.getAsJsonObject().entrySet()) {
            try {
                out.put(Integer.parseInt(en.getKey().trim()), en.getValue().getAsString());
            } catch (RuntimeException ex) {
                throw new MedsaException(where + ": key \"" + en.getKey() + "\" is not a channel number");
            }
        }
        return out;
    }

    private static Map<Integer, String> labels(JsonElement e, String where) {
        if (!e.isJsonObject() || e.getAsJsonObject().size() == 0) {
            throw new MedsaException(where + ": \"labels\" must be a non-empty object");
        }
        Map<Integer, String> out = new TreeMap<>();
        for (Map.Entry<String, JsonElement> en : e.getAsJsonObject().entrySet()) {
            String key = en.getKey().trim();
            JsonElement v = en.getValue();
            if (key.matches("-?\\d+") && v.isJsonPrimitive()) {
                out.put(Integer.parseInt(key), v.getAsString());
            } else if (v.isJsonPrimitive() && v.getAsJsonPrimitive().isNumber()) {
                double d = v.getAsDouble();
                if (d != Math.rint(d)) {
                    throw new MedsaException(where + ": label \"" + key + "\" has non-integer value " + d);
                }
                out.put((int) d, key);
            } else {
                throw new MedsaException(where + ": cannot read label entry \"" + key + "\": " + v
                        + " (region-based nnU-Net labels are not supported)");
            }
        }
        return out;
    }

    private static List<MsdCase> cases(Path root, JsonElement e, String where) {
        if (!e.isJsonArray()) {
            throw new MedsaException(where + ": expected a list of {\"image\": ..., \"label\": ...}");
        }
        JsonArray arr = e.getAsJsonArray();
        List<MsdCase> out = new ArrayList<>();
        for (int i = 0; i < arr.size(); i++) {
            JsonElement item = arr.get(i);
            if (!item.isJsonObject() || !item.getAsJsonObject().has("image") || !item.getAsJsonObject().has("label")) {
                throw new MedsaException(where + " entry " + i + ": expected {\"image\": ..., \"label\": ...}, got " + item);
            }
            String image = clean(item.getAsJsonObject().get("image").getAsString());
            String label = clean(item.getAsJsonObject().get("label").getAsString());
            out.add(new MsdCase(caseId(image), root.resolve(image), root.resolve(label), image, label));
        }
        return out;
    }

    private static String clean(String p) {
        String s = p.trim().replace('\\', '/');
        while (s.startsWith("./")) {
            s = s.substring(2);
        }
        return s;
    }

    /** The file name without directories and without .nii.gz / .nii. */
    static String caseId(String path) {
        String n = path.substring(path.lastIndexOf('/') + 1);
        for (String ext : new String[] {".nii.gz", ".nii", ".dcm"}) {
            if (n.toLowerCase(Locale.ROOT).endsWith(ext)) {
                return n.substring(0, n.length() - ext.length());
            }
        }
        return n;
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }

    /**
     * A minimal MSD dataset.json: name, modality, labels, and {"image", "label"} pairs (paths
     * relative to the root) for training and, when not null, validation.
     */
    public static JsonObject toJson(String name, Map<Integer, String> modalities, Map<Integer, String> labels,
            List<String[]> training, List<String[]> validation) {
        JsonObject o = new JsonObject();
        o.addProperty("name", name);
        o.addProperty("tensorImageSize", "3D");
        JsonObject mod = new JsonObject();
        modalities.forEach((k, v) -> mod.addProperty(String.valueOf(k), v));
        o.add("modality", mod);
        JsonObject lab = new JsonObject();
        new LinkedHashMap<>(labels).forEach((k, v) -> lab.addProperty(String.valueOf(k), v));
        o.add("labels", lab);
        o.addProperty("numTraining", training.size() + (validation == null ? 0 : validation.size()));
        o.add("training", pairs(training));
        if (validation != null) {
            o.add("validation", pairs(validation));
        }
        return o;
    }

    private static JsonArray pairs(List<String[]> list) {
        JsonArray a = new JsonArray();
        for (String[] p : list) {
            JsonObject e = new JsonObject();
            e.addProperty("image", p[0]);
            e.addProperty("label", p[1]);
            a.add(e);
        }
        return a;
    }
}
