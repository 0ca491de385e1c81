package org.medsa.server;

import ai.djl.ndarray.types.DataType;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.medsa.adapters.MedsaModel;
import org.medsa.core.io.Hashes;
import org.medsa.core.modeling.PromptableModel;
import org.medsa.core.modeling.Sam;
import org.medsa.core.modeling.sam2.Sam2Model;

/**
 * The model a server runs, with its identity (what the embedding cache keys on: the same identity
 * must mean the same encoder outputs) and a description for {@code GET /api/health}.
 *
 * @param model the loaded model, SAM or SAM 2 (its weights decide the device)
 * @param identity a string that changes whenever the model's outputs may change
 * @param description what clients are told about it (name, family, sizes, input profile, adapters, ...)
 */
public record ServedModel(PromptableModel model, String identity, Map<String, Object> description) {

    /**
     * A model whose identity is made from its config, its input profile and the SHA-256 of each
     * weight file (base checkpoint, adapter file; null entries are skipped), as the embedding cache
     * needs.
     *
     * @param name a human-readable name (e.g. the checkpoint's file name)
     * @param weightFiles the files the weights came from
     * @throws org.medsa.core.MedsaException if a file cannot be read
     */
    public static ServedModel of(PromptableModel model, String name, Path... weightFiles) {
        StringBuilder id = new StringBuilder();
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("name", name);
        if (model instanceof Sam sam) {
            id.append(sam.config().toJson()).append('|').append(sam.geometry());
            if (sam instanceof MedsaModel m) {
                id.append('|').append(m.medsaConfig().toJson());
            }
            d.put("family", "sam");
            d.put("image_size", sam.imageSize());
            d.put("input_profile", sam.geometry().profile().toString());
            long[] e = sam.embeddingShape();
            d.put("embedding", new long[] {e[1], e[2], e[3]});
            d.put("adapters", sam instanceof MedsaModel m ? m.medsaConfig().preset().id() : "none");
            if (sam.imageEncoder().computeType() != DataType.FLOAT32) {
                id.append("|encoder ").append(sam.imageEncoder().computeType()); // other embeddings: another cache key
            }
            d.put("precision", precisionId(sam.imageEncoder().computeType()));
        } else if (model instanceof Sam2Model sam2) {
            id.append(sam2.config().toJson()).append('|').append(sam2.geometry());
            if (sam2.imageEncoder().computeType() != DataType.FLOAT32) {
                id.append("|compute ").append(sam2.imageEncoder().computeType());
            }
            d.put("family", "sam2");
            d.put("image_size", sam2.imageSize());
            d.put("input_profile", sam2.geometry().profile().toString());
            d.put("memory", sam2.config().numMaskmem);
            d.put("precision", precisionId(sam2.imageEncoder().computeType()));
            d.put("adapters", "none");
        } else {
            throw new IllegalArgumentException("cannot serve " + model.describe());
        }
        ai.djl.Device dev = model.device();
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
        return new ServedModel(model, identity, d);
    }

    private static String precisionId(DataType t) {
        return t == DataType.BFLOAT16 ? "bf16" : t == DataType.FLOAT16 ? "fp16" : "fp32";
    }
}
