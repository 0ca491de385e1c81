package org.medsa.server;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.medsa.adapters.MedsaModel;
import org.medsa.core.io.Hashes;
import org.medsa.core.modeling.Sam;

/**
 * The model a server runs, with its identity (what the embedding cache keys on: the same identity
 * must mean the same encoder outputs) and a description for {@code GET /api/health}.
 *
 * @param sam the loaded model (its weights decide the device)
 * @param identity a string that changes whenever the model's outputs may change
 * @param description what clients are told about it (name, sizes, input profile, adapters, ...)
 */
public record ServedModel(Sam sam, String identity, Map<String, Object> description) {

    /**
     * A model whose identity is made from its config, its input profile and the SHA-256 of each
     * weight file (base checkpoint, adapter file; null entries are skipped), as the embedding cache
     * needs.
     *
     * @param name a human-readable name (e.g. the checkpoint's file name)
     * @param weightFiles the files the weights came from
     * @throws org.medsa.core.MedsaException if a file cannot be read
     */
    public static ServedModel of(Sam sam, String name, Path... weightFiles) {
        StringBuilder id = new StringBuilder(sam.config().toJson().toString()).append('|').append(sam.geometry());
        if (sam instanceof MedsaModel m) {
            id.append('|').append(m.medsaConfig().toJson());
        }
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("name", name);
        d.put("image_size", sam.imageSize());
        d.put("input_profile", sam.geometry().profile().toString());
        long[] e = sam.embeddingShape();
        d.put("embedding", new long[] {e[1], e[2], e[3]});
        d.put("adapters", sam instanceof MedsaModel m ? m.medsaConfig().preset().id() : "none");
        ai.djl.Device dev = sam.device();
        d.put("device", dev.getDeviceType() + (dev.isGpu() ? ":" + dev.getDeviceId() : ""));
        int i = 0;
        for (Path f : weightFiles) {
            if (f == null) {
                continue;
            }
            String sha = Hashes.sha256(f);
            id.append('|').append(sha);
            d.put(i++ == 0 ? "checkpoint_sha256" : "adapters_sha256", sha);
        }
        String identity = Hashes.sha256(id.toString());
        d.put("identity", identity.substring(0, 16));
        return new ServedModel(sam, identity, d);
    }
}
