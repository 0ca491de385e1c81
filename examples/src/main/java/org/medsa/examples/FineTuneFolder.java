package org.medsa.examples;

import org.medsa.data.dataset.ImageMaskFolderDataset;
import org.medsa.data.dataset.Subset;
import org.medsa.data.transforms.SamplePipeline;
import org.medsa.train.training.TrainConfig;
import org.medsa.train.training.TrainingData;

import java.nio.file.Path;
import java.util.Map;

/**
 * Fine-tunes Med-SA adapters on 2D images with masks (fundus, dermoscopy, ultrasound):
 * {@code images/<stem>.png} and {@code masks/<stem>.png} (or {@code <stem>_rater<N>.png}, averaged
 * into soft targets), and reports Dice / IoU / HD95 (pixels) on the held-out images.
 *
 * <pre>java -Dai.djl.offline=true -cp examples/target/medsa.jar org.medsa.examples.FineTuneFolder \
 *     --data /data/ISIC --model vit_b --checkpoint sam_vit_b_01ec64.pth --steps 2000 --out runs/isic</pre>
 */
public final class FineTuneFolder {

    private FineTuneFolder() {}

    public static void main(String[] argv) throws Exception {
        Map<String, String> a = ExampleSupport.args(argv);
        if (!a.containsKey("data")) {
            System.err.println("usage: FineTuneFolder --data <dir with images/ and masks/> [--model ... --checkpoint ...] [--steps N] [--out dir]");
            System.exit(2);
        }
        Path data = Path.of(a.get("data"));
        Path out = Path.of(a.getOrDefault("out", "runs/folder"));
        Path[] base = ExampleSupport.base(a, out.resolve("base"));
        TrainConfig cfg = TrainConfig.forPreset("paper");
        cfg.steps = Integer.parseInt(a.getOrDefault("steps", "200"));
        cfg.batch = Integer.parseInt(a.getOrDefault("batch", "4"));
        ImageMaskFolderDataset train = ImageMaskFolderDataset.builder(data).optSubset(Subset.TRAINING)
                .optAugmentation(SamplePipeline.btcvAugmentation()).setSampling(cfg.batch, false).build();
        ImageMaskFolderDataset val = ImageMaskFolderDataset.builder(data).optSubset(Subset.VALIDATION)
                .setSampling(cfg.batch, false).build();
        ImageMaskFolderDataset eval = ImageMaskFolderDataset.builder(data).optSubset(Subset.VALIDATION).setSampling(1, false).build();
        ExampleSupport.trainAndEvaluate(base[0], base[1], TrainingData.of(train), TrainingData.of(val), cfg, out.resolve("run"),
                (ev, settings) -> ev.evaluate(eval, settings));
    }
}
