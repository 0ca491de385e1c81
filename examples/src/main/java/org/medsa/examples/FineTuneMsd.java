package org.medsa.examples;

import org.medsa.data.dataset.MsdDataset;
import org.medsa.data.dataset.Subset;
import org.medsa.data.transforms.SamplePipeline;
import org.medsa.train.training.TrainConfig;
import org.medsa.train.training.TrainingData;

import java.nio.file.Path;
import java.util.Map;

/**
 * Fine-tunes Med-SA adapters on a Medical Segmentation Decathlon-layout dataset (BTCV is
 * distributed this way: dataset.json, imagesTr/, labelsTr/) and reports per-organ Dice / IoU /
 * HD95 on the validation cases before and after.
 *
 * <pre>java -Dai.djl.offline=true -cp examples/target/medsa.jar org.medsa.examples.FineTuneMsd \
 *     --data /data/BTCV --model vit_b --checkpoint sam_vit_b_01ec64.pth --steps 2000 --out runs/btcv</pre>
 * Without --data it writes and uses the built-in CT phantom.
 */
public final class FineTuneMsd {

    private FineTuneMsd() {}

    public static void main(String[] argv) throws Exception {
        Map<String, String> a = ExampleSupport.args(argv);
        Path out = Path.of(a.getOrDefault("out", "runs/msd"));
        Path data = a.containsKey("data") ? Path.of(a.get("data"))
                : org.medsa.data.phantom.Phantom.builder().seed(5).cases(8).validationCases(2).build().writeMsd(out.resolve("phantom-ct"));
        Path[] base = ExampleSupport.base(a, out.resolve("base"));
        TrainConfig cfg = TrainConfig.forPreset("paper");
        cfg.steps = Integer.parseInt(a.getOrDefault("steps", "200"));
        cfg.batch = Integer.parseInt(a.getOrDefault("batch", "4"));
        MsdDataset train = MsdDataset.slices(data).optSubset(Subset.TRAINING)
                .optAugmentation(SamplePipeline.btcvAugmentation()).setSampling(cfg.batch, false).build();
        MsdDataset val = MsdDataset.slices(data).optSubset(Subset.VALIDATION).setSampling(cfg.batch, false).build();
        MsdDataset eval = MsdDataset.slices(data).optSubset(Subset.VALIDATION).setSampling(1, false).build();
        ExampleSupport.trainAndEvaluate(base[0], base[1], TrainingData.of(train), TrainingData.of(val), cfg, out.resolve("run"),
                (ev, settings) -> ev.evaluate(eval, settings));
    }
}
