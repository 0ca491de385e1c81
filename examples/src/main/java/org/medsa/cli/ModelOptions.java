package org.medsa.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
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
            description = "PyTorch checkpoint with the SAM weights (e.g. sam_vit_b_01ec64.pth).")
    Path checkpoint;

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
        try {
            Device d = Device.fromName(device);
            if (d.isGpu() && d.getDeviceId() >= Engine.getInstance().getGpuCount()) {
                throw new MedsaException("--device " + device + ": no such GPU (found " + Engine.getInstance().getGpuCount() + ")");
            }
            return d;
        } catch (IllegalArgumentException e) {
            throw new MedsaException("--device: '" + device + "' is not a device (use cpu, gpu or gpu:N)");
        }
    }

    /** Builds the model and loads its weights into {@code manager}. */
    Sam load(NDManager manager) {
        return Sam.load(config(), checkpoint, manager);
    }
}
