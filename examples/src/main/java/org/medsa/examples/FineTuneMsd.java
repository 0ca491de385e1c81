package org.medsa.examples;

import java.nio.file.Files;
import java.nio.file.Path;
import org.medsa.core.MedsaException;
import org.medsa.data.dataset.MsdDataset;
import org.medsa.data.dataset.Subset;
import org.medsa.data.phantom.Phantom;
import org.medsa.data.transforms.SamplePipeline;
import org.medsa.demo.DemoModels;
import org.medsa.train.FineTuning;
import org.medsa.train.training.TrainConfig;
import org.medsa.train.training.TrainingData;

/**
 * Fine-tunes Med-SA adapters on a Medical Segmentation Decathlon-layout dataset (BTCV is
 * distributed this way: dataset.json, imagesTr/, labelsTr/) and reports per-organ Dice / IoU /
 * HD95 on the validation cases before and after. Without --data it writes and uses the built-in
 * CT phantom. Uses only the library's public API.
 *
 * <pre>java -Dai.djl.offline=true -cp examples/target/medsa.jar org.medsa.examples.FineTuneMsd \
 *     --data /data/BTCV --model vit_b --checkpoint sam_vit_b_01ec64.pth --steps 2000 --out runs/btcv</pre>
 */
public final class FineTuneMsd {

    private FineTuneMsd() {}

    public static void main(String[] argv) throws Exception {
        MainArgs a = new MainArgs("FineTuneMsd",
                "Fine-tunes Med-SA adapters on an MSD-layout dataset and evaluates before and after.")
                .option("data", null, "MSD dataset folder (default: a CT phantom written to <out>/phantom-ct)")
                .option("model", "vit_b", "model preset or config.json (with --checkpoint)")
                .option("checkpoint", null, "base SAM weights; without it the demo's small phantom-trained SAM")
                .option("steps", "200", "optimiser steps")
                .option("batch", "4", "slices per step")
                .option("seed", "42", "seed of the split, the adapters' start and the prompts")
                .option("out", "runs/msd", "output folder");
        try {
            if (!a.parse(argv)) {
                return;
            }
            Path out = a.path("out");
            Path data = a.path("data");
            if (data == null) {
                data = out.resolve("phantom-ct");
                if (!Files.exists(data.resolve("dataset.json"))) {
                    Phantom.builder().seed(5).cases(8).validationCases(2).build().writeMsd(data);
                }
            }
            TrainConfig cfg = TrainConfig.builder("paper").steps(a.integer("steps", 1)).batch(a.integer("batch", 1))
                    .seed(a.integer("seed", 0)).build();
            MsdDataset train = MsdDataset.slices(data).optSubset(Subset.TRAINING).optSeed(cfg.seed())
                    .optAugmentation(SamplePipeline.btcvAugmentation()).setSampling(cfg.batch(), false).build();
            MsdDataset val = MsdDataset.slices(data).optSubset(Subset.VALIDATION).optSeed(cfg.seed()).setSampling(1, false)
                    .build();
            FineTuning job = DemoModels.fineTuningOnBaseOrDemo(a.string("model"), a.path("checkpoint"), cfg, out.resolve("run"));
            FineTuning.Result r = job.run(TrainingData.of(train), TrainingData.of(val), (ev, settings)
                    -> ev.evaluate(val, settings));
            System.out.println("## before\n" + r.before().markdown() + "\n## after\n" + r.after().markdown());
        } catch (MedsaException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
        }
    }
}
