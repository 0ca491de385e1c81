package org.medsa.examples.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.medsa.adapters.MedsaCheckpoints;
import org.medsa.adapters.MedsaConfig;
import org.medsa.adapters.MedsaModel;
import org.medsa.core.io.StateDictLoader;
import org.medsa.core.io.pth.TensorData;
import org.medsa.core.io.pth.TorchCheckpointWriter;
import org.medsa.core.io.pth.TorchDType;
import org.medsa.core.modeling.Sam;
import org.medsa.core.modeling.SamConfig;

/**
 * Writes a checkpoint of random values shaped like an official SAM file (ViT-H by default,
 * 2.56 GB) and measures the peak resident memory of loading it, as a ratio to the weights' size.
 *
 * <pre>java -Dai.djl.offline=true -cp examples/target/medsa.jar org.medsa.examples.bench.CheckpointLoadBenchmark write
 * /tmp/vith.pth [vit_h]
 * java -Dai.djl.offline=true -cp examples/target/medsa.jar org.medsa.examples.bench.CheckpointLoadBenchmark load /tmp/vith.pth
 * [vit_h]</pre>
 * Run the two steps in separate JVMs so the peak of the load is its own.
 */
public final class CheckpointLoadBenchmark {

    private CheckpointLoadBenchmark() {}

    public static void main(String[] args) throws IOException {
        String mode = args[0];
        Path file = Path.of(args[1]);
        String preset = args.length > 2 ? args[2] : "vit_h";
        SamConfig cfg = SamConfig.resolve(preset);
        if (mode.equals("write")) {
            write(cfg, file);
        } else if (mode.equals("adapters")) {
            adapters(cfg, file);
        } else {
            load(cfg, file);
        }
    }

    static void write(SamConfig cfg, Path file) throws IOException {
        Sam sam = new Sam(cfg);
        TorchCheckpointWriter.OrderedMap sd = new TorchCheckpointWriter.OrderedMap();
        long seed = 1;
        for (Map.Entry<String, Shape> e : sam.stateDictShapes().entrySet()) {
            long[] shape = e.getValue().getShape();
            long n = e.getValue().size();
            long s = seed++;
            sd.put(e.getKey(), new TorchCheckpointWriter.LazyTensor(TorchDType.FLOAT32, shape, () -> {
                SplittableRandom r = new SplittableRandom(s);
                ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(n * 4)).order(ByteOrder.LITTLE_ENDIAN);
                for (long i = 0; i < n; i++) {
                    b.putFloat((float) (r.nextDouble() * 0.04 - 0.02));
                }
                return new TensorData(TorchDType.FLOAT32, shape, b.array());
            }));
        }
        long t = System.nanoTime();
        TorchCheckpointWriter.write(file, sd);
        System.out.printf(Locale.ROOT, "wrote %s: %d tensors, %.2f GB in %.1f s; peak RSS %.2f GB%n", file, sd.size(),
                Files.size(file) / 1e9, (System.nanoTime() - t) / 1e9, peakRssGb());
    }

    /** Size of a paper-preset adapter file for the model (only the adapters are allocated). */
    static void adapters(SamConfig cfg, Path file) throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            MedsaModel model = new MedsaModel(cfg, MedsaConfig.preset("paper"));
            Map<String, Shape> shapes = model.stateDictShapes();
            long n = 0;
            for (Map.Entry<String, Parameter> e : model.trainableParameters().entrySet()) {
                e.getValue().setShape(shapes.get(e.getKey()));
                e.getValue().initialize(m, DataType.FLOAT32);
                n += shapes.get(e.getKey()).size();
            }
            MedsaCheckpoints.saveAdapters(model, file, null, 0);
            System.out.printf(Locale.ROOT, "adapter file %s: %,d trainable values, %,d bytes (%.1f MB)%n", file, n,
                    Files.size(file),
                    Files.size(file) / 1e6);
        }
    }

    static void load(SamConfig cfg, Path file) {
        double before = rssGb();
        long t = System.nanoTime();
        try (NDManager m = NDManager.newBaseManager()) {
            Sam sam = new Sam(cfg);
            StateDictLoader.Report r = StateDictLoader.load(sam, file, m, new StateDictLoader.Options());
            double sec = (System.nanoTime() - t) / 1e9;
            double weights = r.numbers() * 4 / 1e9;
            double peak = peakRssGb();
            System.out.printf(Locale.ROOT, "loaded %d tensors (%.2f GB of float32 weights) in %.1f s%n", r.loaded(), weights,
                    sec);
            System.out.printf(Locale.ROOT,
                    "RSS before %.2f GB, after %.2f GB, peak %.2f GB; peak / weights = %.2f; max heap %.2f GB%n",
                    before, rssGb(), peak, peak / weights, Runtime.getRuntime().maxMemory() / 1e9);
        }
    }

    private static double status(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(key + ":")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1e6;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux
        }
        return Double.NaN;
    }

    static double peakRssGb() {
        return status("VmHWM") * 1.024;
    }

    static double rssGb() {
        return status("VmRSS") * 1.024;
    }
}
