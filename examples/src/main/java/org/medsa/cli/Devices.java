package org.medsa.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import org.medsa.core.MedsaException;

import java.util.ArrayList;
import java.util.List;

/** Parses {@code --device}: auto, cpu, gpu, gpu:N, or (for training) a comma list or "all". */
final class Devices {

    private Devices() {}

    /** One device: auto (the first GPU if there is one, else the CPU), cpu, gpu or gpu:N. */
    static Device one(String spec) {
        List<Device> all = parse(spec);
        if (all.size() != 1 && !(spec == null || spec.equals("auto"))) {
            throw new MedsaException("--device: this command runs on one device, got '" + spec + "'");
        }
        return all.get(0);
    }

    /** Devices to split batches over: auto/all (every GPU, else the CPU), cpu, gpu, gpu:N[,gpu:M]. */
    static List<Device> parse(String spec) {
        Engine e = Engine.getInstance();
        int gpus = e.getGpuCount();
        List<Device> out = new ArrayList<>();
        if (spec == null || spec.equals("auto") || spec.equals("all")) {
            for (int i = 0; i < gpus; i++) {
                out.add(Device.gpu(i));
            }
            if (out.isEmpty()) {
                out.add(Device.cpu());
            }
            return out;
        }
        for (String s : spec.split(",")) {
            String name = s.trim().toLowerCase(java.util.Locale.ROOT);
            Device d;
            if (name.equals("cpu")) {
                d = Device.cpu();
            } else if (name.equals("gpu")) {
                d = Device.gpu(0);
            } else if (name.matches("gpu:[0-9]{1,4}")) {
                d = Device.gpu(Integer.parseInt(name.substring(4)));
            } else {
                throw new MedsaException("--device: '" + s.trim() + "' is not a device (use auto, cpu, gpu or gpu:N)");
            }
            if (d.isGpu() && gpus == 0) {
                throw new MedsaException("--device " + name + ": no GPU found (this needs an NVIDIA GPU with its driver and the"
                        + " CUDA build of medsa, mvn -Pcuda); use --device cpu");
            }
            if (d.isGpu() && d.getDeviceId() >= gpus) {
                throw new MedsaException("--device " + name + ": no such GPU (found " + gpus + ": gpu:0"
                        + (gpus > 1 ? " to gpu:" + (gpus - 1) : "") + ")");
            }
            if (out.contains(d)) {
                throw new MedsaException("--device lists " + name + " twice");
            }
            out.add(d);
        }
        return out;
    }
}
