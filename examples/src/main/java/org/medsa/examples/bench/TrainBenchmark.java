package org.medsa.examples.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.medsa.adapters.MedsaModel;
import org.medsa.adapters.ModelLoader;
import org.medsa.core.Diagnostics;
import org.medsa.core.io.pth.TensorData;
import org.medsa.core.io.pth.TorchCheckpointWriter;
import org.medsa.core.io.pth.TorchDType;
import org.medsa.core.modeling.Sam;
import org.medsa.core.modeling.SamConfig;
import org.medsa.data.dataset.MsdDataset;
import org.medsa.data.dataset.Subset;
import org.medsa.data.phantom.Phantom;
import org.medsa.train.training.TrainConfig;
import org.medsa.train.training.Trainable;
import org.medsa.train.training.Trainer;
import org.medsa.train.training.TrainingData;

/**
 * Adapter training speed and memory: steps per second of the paper preset on phantom slices for a
 * model config (random base weights), and the resident memory after the first {@code check}
 * steps and after all of them (a leak would make the second larger).
 *
 * <pre>java -Dai.djl.offline=true -cp examples/target/medsa.jar org.medsa.examples.bench.TrainBenchmark \
 *     <config.json|vit_b> [steps=1000] [check=100] [batch=8]</pre>
 */
public final class TrainBenchmark {

    private TrainBenchmark() {}

    public static void main(String[] args) throws Exception {
        String model = args.length > 0 ? args[0] : "vit_b";
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
        int check = args.length > 2 ? Integer.parseInt(args[2]) : Math.min(100, steps);
        int batch = args.length > 3 ? Integer.parseInt(args[3]) : 8;
        SamConfig cfg = SamConfig.resolve(model);
        Path tmp = Files.createTempDirectory("medsa-bench");
        Path data = Phantom.builder().seed(1).size(64, 48, 32).cases(6).validationCases(1).build().writeMsd(tmp.resolve("data"));
        Path base = tmp.resolve("base.pth");
        try (NDManager m = NDManager.newBaseManager()) {
            Engine.getInstance().setRandomSeed(1);
            Sam sam = new Sam(cfg);
            sam.initialize(m, DataType.FLOAT32);
            TorchCheckpointWriter.OrderedMap sd = new TorchCheckpointWriter.OrderedMap();
            sam.stateDictParameters().forEach((k, p) -> sd.put(k, new TorchCheckpointWriter.LazyTensor(
                    TorchDType.FLOAT32, p.getArray().getShape().getShape(), () -> TensorData.of(p.getArray()))));
            TorchCheckpointWriter.write(base, sd);
        }
        MsdDataset train = MsdDataset.slices(data).optSubset(Subset.TRAINING).setSampling(batch, false).build();
        TrainConfig.Builder tc = TrainConfig.builder("paper");
        tc.steps(steps);
        tc.batch(batch);
        tc.checkpointEvery(Integer.MAX_VALUE);
        try (NDManager m = NDManager.newBaseManager()) {
            MedsaModel mm = ModelLoader.of(cfg, base).adapters("paper").loadMedsa(m);
            try (Trainer t = new Trainer(Trainable.adapters(mm, base), TrainingData.of(train), null, tc.build(),
                    tmp.resolve("run"),
                    List.of(Device.cpu()), Diagnostics.none())) {
                long t0 = System.nanoTime();
                t.runUntil(check);
                double first = (System.nanoTime() - t0) / 1e9;
                double rssFirst = CheckpointLoadBenchmark.rssGb();
                System.out.printf(Locale.ROOT, "%s: %d steps of batch %d in %.1f s (%.2f steps/s, %.1f images/s); RSS %.3f GB%n",
                        model, check, batch, first, check / first, check * batch / first, rssFirst);
                long t1 = System.nanoTime();
                int done = check;
                for (int next = check * 2; done < steps; next *= 2) {
                    int stop = Math.min(next, steps);
                    t.runUntil(stop);
                    done = stop;
                    System.gc();
                    Runtime rt = Runtime.getRuntime();
                    double rss = CheckpointLoadBenchmark.rssGb();
                    System.out.printf(Locale.ROOT, "after %d steps: RSS %.3f GB (x%.3f of step %d), Java heap used %.0f MB%n",
                            stop, rss, rss / rssFirst, check, (rt.totalMemory() - rt.freeMemory()) / 1e6);
                }
                if (steps > check) {
                    double rest = (System.nanoTime() - t1) / 1e9;
                    System.out.printf(Locale.ROOT, "steps %d..%d: %.2f steps/s%n", check, steps, (steps - check) / rest);
                }
            }
        }
    }
}
