package org.medsa.adapters;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.google.gson.JsonObject;
import java.nio.file.Path;
import java.util.Map;
import org.medsa.core.MedsaException;
import org.medsa.core.io.StateDictLoader;
import org.medsa.core.io.pth.TorchCheckpoint;
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

    /**
     * Builds the adapted model and loads SAM 2's weights from {@code base} (the official layout or
     * a bare state dict); the adapters keep their initial values, everything else must match; the
     * model comes back frozen but for what trains.
     */
    public static MedsaSam2Model load(Sam2Config config, MedsaConfig medsa, boolean trainMemory, Path base, NDManager manager) {
        MedsaSam2Model m = new MedsaSam2Model(config, medsa, trainMemory);
        try (TorchCheckpoint ckpt = TorchCheckpoint.open(base)) {
            if (ckpt.root() instanceof Map<?, ?> root && MedsaCheckpoints.FORMAT.equals(root.get("format"))) {
                throw new MedsaException(base + ": this is an adapter file; give it as the adapter weights and SAM 2's"
                        + " checkpoint as the base");
            }
        } finally {
            TorchCheckpoint.releaseStagingMemory();
        }
        StateDictLoader.load(m, base, manager, new StateDictLoader.Options().mayBeMissing(AdaptedModel::isAdapter));
        m.initialize(manager, DataType.FLOAT32);
        m.freeze();
        return m;
    }

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
        return geometry().profile().id();
    }

    @Override
    public String family() {
        return "sam2";
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
