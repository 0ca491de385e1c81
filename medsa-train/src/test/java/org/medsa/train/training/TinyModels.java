package org.medsa.train.training;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonParser;
import java.nio.file.Path;
import org.medsa.adapters.Adapter;
import org.medsa.adapters.MedsaCheckpoints;
import org.medsa.adapters.MedsaConfig;
import org.medsa.adapters.MedsaModel;
import org.medsa.core.Diagnostics;
import org.medsa.core.io.pth.TensorData;
import org.medsa.core.io.pth.TorchCheckpointWriter;
import org.medsa.core.modeling.Sam;
import org.medsa.core.modeling.SamConfig;

/** The tiny models the training tests share: a 32-pixel SAM with random weights, with small adapters. */
public final class TinyModels {

    private TinyModels() {}

    /** A 32×32-input SAM: 2 encoder blocks of width 32, 4×4 tokens. */
    public static SamConfig config() {
        String json = "{\"image_encoder\": {\"img_size\": 32, \"patch_size\": 8, \"embed_dim\": 32, \"depth\": 2, "
                + "\"num_heads\": 2,"
                + " \"out_chans\": 16, \"window_size\": 2, \"global_attn_indexes\": [1]},"
                + " \"prompt_encoder\": {\"embed_dim\": 16, \"image_embedding_size\": [4, 4], \"input_image_size\": [32, 32], "
                        + "\"mask_in_chans\": 8},"
                + " \"mask_decoder\": {\"transformer_dim\": 16, \"iou_head_hidden_dim\": 16,"
                + " \"transformer\": {\"depth\": 2, \"embedding_dim\": 16, \"num_heads\": 2, \"mlp_dim\": 32}}}";
        return SamConfig.fromJson(JsonParser.parseString(json), "test config");
    }

    /** Writes the config's SAM with seeded random weights as a base checkpoint. */
    public static Path writeBase(Path file) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(5);
            Sam sam = new Sam(config());
            sam.initialize(m, DataType.FLOAT32);
            TorchCheckpointWriter.OrderedMap sd = new TorchCheckpointWriter.OrderedMap();
            sam.stateDictParameters().forEach((k, p) -> sd.put(k, TensorData.of(p.getArray())));
            TorchCheckpointWriter.write(file, sd);
        }
        return file;
    }

    /** The paper preset with 8-wide adapters, randomly initialised (the same seed every time), on {@code base}. */
    public static MedsaModel adapted(Path base, NDManager m) {
        Engine.getInstance().setRandomSeed(123);
        // TORCH_DEFAULT: so every adapter weight gets gradients from step 1
        MedsaConfig mc = MedsaConfig.builder("paper").encoderWidth(8).decoderWidth(8).init(Adapter.Init.TORCH_DEFAULT)
                .build();
        MedsaModel model = new MedsaModel(config(), mc);
        MedsaCheckpoints.loadBase(model, base, m);
        return model;
    }

    /** Diagnostics that say nothing. */
    public static Diagnostics quiet() {
        return Diagnostics.none();
    }
}
