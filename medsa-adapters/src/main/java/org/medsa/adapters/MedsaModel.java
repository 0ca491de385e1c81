package org.medsa.adapters;

import ai.djl.ndarray.NDArray;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import com.google.gson.JsonObject;
import java.util.List;
import org.medsa.core.modeling.ImageEncoderViT;
import org.medsa.core.modeling.MaskDecoder;
import org.medsa.core.modeling.PromptEncoder;
import org.medsa.core.modeling.Sam;
import org.medsa.core.modeling.SamConfig;
import org.medsa.core.modeling.TwoWayTransformer;

/**
 * SAM with Med-SA's adapters, assembled for a {@link MedsaConfig} preset. Everything of SAM is
 * frozen except what the preset trains ({@link #isTrainable}); {@link #freeze} applies it.
 */
public class MedsaModel extends Sam implements AdaptedModel {

    private final MedsaConfig medsa;

    /**
     * SAM for {@code config} with the adapters {@code medsa} asks for. With {@link
     * MedsaConfig#fixedPosEmbedGrid} and no pos_embed_grid set, it sets {@code config}'s
     * pos_embed_grid to 1024 / patch_size (the config is changed in place).
     */
    public MedsaModel(SamConfig config, MedsaConfig medsa) {
        super(prepare(config, medsa),
                new ImageEncoderViT(config.imageEncoder, (i, cfg, ws, grid) -> new AdaptedEncoderBlock(cfg, ws, grid, medsa)),
                new PromptEncoder(config.promptEncoder),
                decoder(config, medsa));
        this.medsa = medsa;
    }

    private static SamConfig prepare(SamConfig config, MedsaConfig medsa) {
        if (medsa.fixedPosEmbedGrid() && config.imageEncoder.posEmbedGrid == 0) {
            // Med-SA keeps SAM's 1024-pixel position embedding and resizes it in every forward.
            config.imageEncoder.posEmbedGrid = 1024 / config.imageEncoder.patchSize;
        }
        return config;
    }

    private static MaskDecoder decoder(SamConfig config, MedsaConfig m) {
        SamConfig.MaskDecoder d = config.maskDecoder;
        TwoWayTransformer.BlockFactory blocks;
        if (m.efficientSamDecoder()) {
            blocks = (i, c) -> new OfficialTwoWayBlock(c, i == 0);
        } else if (m.decoderAdapters()) {
            blocks = (i, c) -> new PaperTwoWayBlock(c, i == 0, m);
        } else {
            blocks = TwoWayTransformer.SAM_BLOCKS;
        }
        TwoWayTransformer t = new TwoWayTransformer(d.transformer, blocks);
        return m.officialMaskOutputs() ? new OfficialMaskDecoder(d, t) : new MaskDecoderWith(d, t);
    }

    /** SAM's decoder around another transformer. */
    private static final class MaskDecoderWith extends MaskDecoder {
        MaskDecoderWith(SamConfig.MaskDecoder cfg, TwoWayTransformer t) {
            super(cfg, t, cfg.numMultimaskOutputs + 1);
        }
    }

    /** The adapter settings the model was built with. */
    @Override
    public MedsaConfig medsaConfig() {
        return medsa;
    }

    @Override
    public JsonObject configJson() {
        return config().toJson();
    }

    @Override
    public String inputProfileId() {
        return config().inputProfile().id();
    }

    @Override
    public String family() {
        return "sam";
    }

    /** True for names of adapter parameters (every adapter's name contains "Adapter"). */
    public static boolean isAdapter(String name) {
        return AdaptedModel.isAdapter(name);
    }

    /**
     * Whether the preset trains a parameter: adapters only in {@code paper}; in {@code
     * official-code} also the prompt encoder and the whole mask decoder (they keep
     * requires_grad there; the prompt encoder still gets no gradient, as it runs without one).
     */
    @Override
    public boolean isTrainable(String name) {
        if (isAdapter(name)) {
            return true;
        }
        return medsa.preset() == MedsaConfig.Preset.OFFICIAL_CODE
                && (name.startsWith("prompt_encoder.") || name.startsWith("mask_decoder."));
    }

    /**
     * Encodes a batch of volumes: input (B·D, 3, S, S) with the D slices of each volume
     * contiguous; the SD-Trans branch mixes the slices.
     */
    public NDArray encodeVolume(ParameterStore ps, NDArray input, int depth, boolean training, List<NDArray> intermediates) {
        PairList<String, Object> params = new PairList<>();
        params.add(AdaptedEncoderBlock.DEPTH, depth);
        return encodeImage(ps, input, training, params, intermediates);
    }
}
