package org.medsa.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import org.medsa.adapters.MedsaCheckpoints;
import org.medsa.adapters.MedsaConfig;
import org.medsa.adapters.MedsaModel;
import org.medsa.core.MedsaException;
import org.medsa.core.modeling.Sam;
import org.medsa.core.modeling.SamConfig;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Options every command that runs a model shares. */
public class ModelOptions {

    @Option(names = "--model", required = true, paramLabel = "<vit_b|vit_l|vit_h|config.json>",
            description = "Model preset or a config.json in the fixtures' layout.")
    String model;

    @Option(names = "--checkpoint", required = true, paramLabel = "<file.pth>",
            description = "PyTorch checkpoint with the SAM weights (e.g. sam_vit_b_01ec64.pth), or an official"
                    + " Med-SA training checkpoint with --adapters official-code.")
    Path checkpoint;

    @Option(names = "--adapters", paramLabel = "<paper|official-code>",
            description = "Build Med-SA with this adapter preset (default: plain SAM).")
    String adapters;

    @Option(names = "--adapter-weights", paramLabel = "<file>",
            description = "Adapter file written by 'medsa train' (needs --adapters; checked against --checkpoint).")
    Path adapterWeights;

    @Option(names = "--allow-base-mismatch",
            description = "Load adapter weights even if they were trained on another base checkpoint.")
    boolean allowBaseMismatch;

    @Option(names = "--device", defaultValue = "auto", paramLabel = "<auto|cpu|gpu|gpu:N>",
            description = "Where to compute (default: ${DEFAULT-VALUE}: the first GPU if there is one).")
    String device;

    SamConfig config() {
        return SamConfig.resolve(model);
    }

    Device device() {
        if (device == null || device.equals("auto")) {
            return Engine.getInstance().defaultDevice();
        }
        Device d;
        try {
            d = Device.fromName(device);
        } catch (IllegalArgumentException e) {
            d = null;
        }
        if (d == null || !(d.isGpu() || Device.Type.CPU.equals(d.getDeviceType()))) {
            throw new MedsaException("--device: '" + device + "' is not a device (use cpu, gpu or gpu:N)");
        }
        if (d.isGpu() && d.getDeviceId() >= Engine.getInstance().getGpuCount()) {
            throw new MedsaException("--device " + device + ": no such GPU (found " + Engine.getInstance().getGpuCount() + ")");
        }
        return d;
    }

    MedsaConfig medsaConfig() {
        return adapters == null ? null : MedsaConfig.preset(adapters);
    }

    /** --adapters, or the preset an adapter file records when only --adapter-weights is given. */
    private void detectPreset() {
        if (adapters == null && adapterWeights != null) {
            try (org.medsa.core.io.pth.TorchCheckpoint c = org.medsa.core.io.pth.TorchCheckpoint.open(adapterWeights)) {
                if (c.root() instanceof java.util.Map<?, ?> root && root.get("preset") instanceof String p) {
                    adapters = p;
                    if (Boolean.TRUE.equals(root.get("volumetric"))) {
                        volumetricFromFile = true;
                    }
                } else {
                    throw new MedsaException(adapterWeights + ": not a Med-SA adapter file (no preset recorded); give --adapters");
                }
            }
        }
    }

    private boolean volumetricFromFile;

    /** Builds the model and loads its weights into {@code manager}; says on stderr what it loaded. */
    Sam load(NDManager manager) {
        detectPreset();
        if (adapters == null) {
            if (adapterWeights != null) {
                throw new MedsaException("--adapter-weights needs --adapters paper or --adapters official-code");
            }
            return Sam.load(config(), checkpoint, manager);
        }
        MedsaConfig mc = medsaConfig();
        mc.volumetric |= volumetricFromFile;
        MedsaModel m = new MedsaModel(config(), mc);
        MedsaCheckpoints.BaseLoad base = MedsaCheckpoints.loadBase(m, checkpoint, manager);
        if (adapterWeights != null) {
            long step = MedsaCheckpoints.loadAdapters(m, adapterWeights, checkpoint, manager, allowBaseMismatch);
            System.err.println("adapters: " + adapterWeights + " (step " + step + ")");
        } else if (!base.containedAdapters()) {
            System.err.println("note: no adapter weights given; adapters keep their initial values"
                    + (m.medsaConfig().init == org.medsa.adapters.Adapter.Init.ZERO_UP ? " (zero up-projections: the model equals SAM)" : ""));
        }
        return m;
    }
}
