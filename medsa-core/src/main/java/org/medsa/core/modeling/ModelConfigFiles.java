package org.medsa.core.modeling;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import org.medsa.core.MedsaException;

/**
 * Reading a model's {@code config.json} (SAM's and SAM 2's alike): the file's checks and the JSON
 * parse, each failure one line naming the file.
 */
public final class ModelConfigFiles {

    private ModelConfigFiles() {}

    /**
     * The JSON of a config file.
     *
     * @param presets the preset names, for the message when the file does not exist
     * @throws MedsaException if it is missing, unreadable or not JSON
     */
    public static JsonElement read(Path file, Collection<String> presets) {
        if (!Files.isRegularFile(file)) {
            throw new MedsaException(file + ": no such config file (and not a preset: use one of " + presets + ")");
        }
        try {
            return JsonParser.parseString(Files.readString(file));
        } catch (IOException e) {
            throw new MedsaException(file + ": cannot read (" + e.getMessage() + ")", e);
        } catch (JsonParseException | IllegalStateException e) {
            throw new MedsaException(file + ": not valid JSON (" + e.getMessage() + ")", e);
        }
    }

    /**
     * A config object parsed from its JSON form by {@code gson}; {@code source} names it in errors.
     *
     * @throws MedsaException if it is not an object or holds a bad value
     */
    public static <T> T parse(JsonElement json, String source, Gson gson, Class<T> type) {
        if (!json.isJsonObject()) {
            throw new MedsaException(source + ": a model config must be a JSON object");
        }
        try {
            return gson.fromJson(json.getAsJsonObject(), type);
        } catch (JsonParseException | NumberFormatException e) {
            throw new MedsaException(source + ": bad value in model config (" + e.getMessage() + ")", e);
        }
    }
}
