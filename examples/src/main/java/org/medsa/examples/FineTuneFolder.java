package org.medsa.examples;

import java.nio.file.Path;
import org.medsa.core.MedsaException;
import org.medsa.data.dataset.ImageMaskFolderDataset;
import org.medsa.data.dataset.Subset;
import org.medsa.data.transforms.SamplePipeline;
import org.medsa.demo.DemoModels;
import org.medsa.train.FineTuning;
import org.medsa.train.training.TrainConfig;
import org.medsa.train.training.TrainingData;

/**
 * Fine-tunes Med-SA adapters on 2D images with masks (fundus, dermoscopy, ultrasound):
 * {@code images/<stem>.png} and {@code masks/<stem>.png} (or {@code <stem>_rater<N>.png}, averaged
 * into soft targets), and reports Dice / IoU / HD95 (pixels) on the held-out images before and
 * after. Uses only the library's public API.
 *
 * <pre>java -Dai.djl.offline=true -cp examples/target/medsa.jar org.medsa.examples.FineTuneFolder \
 *     --data /data/ISIC --model vit_b --checkpoint sam_vit_b_01ec64.pth --steps 2000 --out runs/isic</pre>
 */
public final class FineTuneFolder {

    private FineTuneFolder() {}

    public static void main(String[] argv) throws Exception {
        MainArgs a = new MainArgs("FineTuneFolder",
                "Fine-tunes Med-SA adapters on a folder of 2D images (images/) and masks (masks/).")
                .option("data", null, "folder with images/ and masks/ (required)")
                .option("model", "vit_b", "model preset or config.json (with --checkpoint)")
                .option("checkpoint", null, "base SAM weights; without it the demo's small phantom-trained SAM")
                .option("steps", "200", "optimiser steps")
                .option("batch", "4", "images per step")
                .option("seed", "42", "seed of the split, the adapters' start and the prompts")
                .option("out", "runs/folder", "output folder");
        try {
            if (!a.parse(argv)) {
                return;
            }
            if (!a.has("data")) {
                throw new MedsaException("FineTuneFolder: --data is required (see --help)");
            }
            Path data = a.path("data");
            Path out = a.path("out");
            TrainConfig cfg = TrainConfig.builder("paper").steps(a.integer("steps", 1)).batch(a.integer("batch", 1))
                    .seed(a.integer("seed", 0)).build();
            ImageMaskFolderDataset train = ImageMaskFolderDataset.builder(data).optSubset(Subset.TRAINING).optSeed(cfg.seed())
                    .optAugmentation(SamplePipeline.btcvAugmentation()).setSampling(cfg.batch(), false).build();
            ImageMaskFolderDataset val = ImageMaskFolderDataset.builder(data).optSubset(Subset.VALIDATION).optSeed(cfg.seed())
                    .setSampling(1, false).build();
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
