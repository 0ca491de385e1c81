package org.medsa.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import org.medsa.core.MedsaException;

/** Parses {@code --device}: auto, cpu, gpu, gpu:N, or (for training) a comma list or "all". */
final class Devices {

    private Devices() {}

    private static volatile boolean noticed;

    /**
     * The CUDA build runs on the CPU where there is no GPU: say so once (one line on stderr) when a
     * command picks its device automatically.
     */
    static void noticeCpuFallback() {
        if (noticed || Engine.getInstance().getGpuCount() > 0 || !cudaNativesBundled()) {
            return;
        }
        noticed = true;
        System.err.println("note: no GPU found; this CUDA build runs on the CPU");
    }

    /** True if the classpath carries PyTorch natives of a CUDA flavor (the -Pcuda build). */
    static boolean cudaNativesBundled() {
        try {
            var urls = Thread.currentThread().getContextClassLoader().getResources("native/lib/pytorch.properties");
            while (urls.hasMoreElements()) {
                try (var in = urls.nextElement().openStream()) {
                    Properties p = new Properties();
                    p.load(in);
                    if (String.valueOf(p.getProperty("flavor")).startsWith("cu")) {
                        return true;
                    }
                }
            }
        } catch (IOException e) {
            return false;
        }
        return false;
    }

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
            noticeCpuFallback();
            for (int i = 0; i < gpus; i++) {
                out.add(Device.gpu(i));
            }
            if (out.isEmpty()) {
                out.add(Device.cpu());
            }
            return out;
        }
        for (String s : spec.split(",")) {
            String name = s.trim().toLowerCase(Locale.ROOT);
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
                throw new MedsaException("--device " + name + ": no GPU found (" + (cudaNativesBundled()
                        ? "this CUDA build needs an NVIDIA GPU with its driver"
                                : "this is the CPU build; the CUDA build (mvn -Pcuda)"
                        + " needs an NVIDIA GPU with its driver") + "); use --device cpu");
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
