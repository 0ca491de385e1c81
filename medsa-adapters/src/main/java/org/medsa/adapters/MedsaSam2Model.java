package org.medsa.adapters;

import org.medsa.core.MedsaException;
import org.medsa.core.modeling.TwoWayTransformer;
import org.medsa.core.modeling.sam2.Sam2Config;
import org.medsa.core.modeling.sam2.Sam2Model;
import org.medsa.core.nn.Mlp;

/**
 * SAM 2 with Med-SA's adapters (docs/sam2.md, "Med-SA on SAM 2"): {@link AdaptedMultiScaleBlock}s
 * in every Hiera block (Space adapter after attention, MLP adapter in parallel with the paper's
 * scale), the paper's decoder adapters and HyP-Adpt in the mask decoder's two-way blocks ({@link
 * PaperTwoWayBlock}), every SAM 2 parameter under its official name. SAM 2 stays frozen; the
 * adapters train, and with {@code trainMemory} also the memory attention and the memory encoder, as
 * Medical-SAM2 trains them. Only the {@code paper} preset applies (the official Med-SA code has no
 * SAM 2 model to be compatible with).
 */
public class MedsaSam2Model extends Sam2Model implements AdaptedModel {

    private final MedsaConfig medsa;
    private final boolean trainMemory;

    /**
     * @throws MedsaException for a preset other than {@code paper}
     */
    public MedsaSam2Model(Sam2Config config, MedsaConfig medsa, boolean trainMemory) {
        super(checked(config, medsa),
                (i, dim, dimOut, heads, window, pools) -> new AdaptedMultiScaleBlock(dim, dimOut, heads, window, pools, medsa),
                medsa.decoderAdapters() ? (i, c) -> new PaperTwoWayBlock(c, i == 0,
                        Mlp.layers(c.embeddingDim, c.mlpDim, Mlp.Activation.RELU), medsa) : TwoWayTransformer.SAM2_BLOCKS);
        this.medsa = medsa;
        this.trainMemory = trainMemory;
    }

    private static Sam2Config checked(Sam2Config config, MedsaConfig medsa) {
        if (medsa.preset() != MedsaConfig.Preset.PAPER) {
            throw new MedsaException("SAM 2 takes the 'paper' adapters; '" + medsa.preset().id() + "' reproduces the official"
                    + " Med-SA code, which has no SAM 2 model");
        }
        return config;
    }

    @Override
    public MedsaConfig medsaConfig() {
        return medsa;
    }

    /** Whether the memory attention and the memory encoder train too. */
    public boolean trainsMemory() {
        return trainMemory;
    }

    /** Adapters; with {@link #trainsMemory} also {@code memory_attention.*} and {@code memory_encoder.*}. */
    @Override
    public boolean isTrainable(String name) {
        return AdaptedModel.isAdapter(name)
                || (trainMemory && (name.startsWith("memory_attention.") || name.startsWith("memory_encoder.")));
    }
}
