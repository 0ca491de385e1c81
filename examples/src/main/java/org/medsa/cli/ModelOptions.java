package org.medsa.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import org.medsa.adapters.ModelLoader;
import org.medsa.core.Diagnostics;
import org.medsa.core.modeling.PromptableModel;
import org.medsa.core.modeling.Sam;
import org.medsa.core.modeling.SamConfig;
import org.medsa.core.nn.ComputePrecision;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** Options every command that runs a model shares. */
public class ModelOptions {

    @Option(names = "--model", required = true, paramLabel = "<vit_b|vit_l|vit_h|sam2.1_hiera_t|...|medsam2|config.json>",
            description = "Model preset or a config.json in the fixtures' layout: SAM (vit_b, vit_l, vit_h) or, where the command"
                    + " segments volumes, SAM 2 (sam2.1_hiera_t, sam2.1_hiera_s, sam2.1_hiera_b+, sam2.1_hiera_l, medsam2).")
    String model;

    @Option(names = "--checkpoint", required = true, paramLabel = "<file.pth|file.pt>",
            description = "PyTorch checkpoint with the weights (e.g. sam_vit_b_01ec64.pth, sam2.1_hiera_tiny.pt,"
                    + " MedSAM2_latest.pt), or an official Med-SA training checkpoint with --adapters official-code.")
    Path checkpoint;

    @Option(names = "--adapters", paramLabel = "<paper|official-code>",
            description = "Build Med-SA with this adapter preset (default: plain SAM).")
    String adapters;

    @Option(names = "--adapter-weights", paramLabel = "<file>",
            description = "Adapter file written by 'medsa train' (its preset and settings are read from it; checked against "
                    + "--checkpoint).")
    Path adapterWeights;

    @Option(names = "--allow-base-mismatch",
            description = "Load adapter weights even if they were trained on another base checkpoint.")
    boolean allowBaseMismatch;

    @Option(names = {"--device", "--devices"}, defaultValue = "auto", paramLabel = "<auto|cpu|gpu|gpu:N>",
            description = "Where to compute (default: ${DEFAULT-VALUE}, the first GPU if there is one, else the CPU).")
    String device;

    SamConfig config() {
        return SamConfig.resolve(model);
    }

    Device device() {
        return Devices.one(device);
    }

    @Option(names = "--input-profile", paramLabel = "<sam|medsam|msa-compat>",
            description = "How images enter the model. Default: what the adapter file or checkpoint records, else sam"
                    + " (longest side + pad). Adapters refuse another profile than the one they were trained on.")
    String inputProfile;

    @Mixin PrecisionOption precision;

    ComputePrecision precision() {
        return precision.resolve(device());
    }

    /** True if --model names a SAM 2 model. */
    boolean isSam2() {
        return ModelLoader.isSam2(model);
    }

    /** Builds a SAM or SAM 2 model and loads its weights into {@code manager}; says on stderr what it loaded. */
    PromptableModel loadAny(NDManager manager) {
        return ModelLoader.forModel(model, checkpoint).adapterWeights(adapterWeights).adapters(adapters)
                .inputProfile(inputProfile).precision(precision())
                .allowBaseMismatch(allowBaseMismatch).notes(Diagnostics.stderr()).loadModel(manager);
    }

    /** Builds the model and loads its weights into {@code manager}; says on stderr what it loaded. */
    Sam load(NDManager manager) {
        return ModelLoader.of(config(), checkpoint).adapterWeights(adapterWeights).adapters(adapters).inputProfile(inputProfile)
                .precision(precision()).allowBaseMismatch(allowBaseMismatch).notes(Diagnostics.stderr()).load(manager);
    }
}
