package org.medsa.examples;

import org.medsa.data.dataset.MsdDataset;
import org.medsa.data.dataset.MsdDescriptor;
import org.medsa.data.dataset.Subset;
import org.medsa.data.geometry.Affine;
import org.medsa.data.nifti.NiftiDatatype;
import org.medsa.data.nifti.NiftiImage;
import org.medsa.data.nifti.NiftiReader;
import org.medsa.data.nifti.NiftiWriter;
import org.medsa.data.volume.Grid;
import org.medsa.data.volume.ImageVolume;
import org.medsa.data.volume.LabelVolume;
import org.medsa.train.training.TrainConfig;
import org.medsa.train.training.TrainingData;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Segments the hippocampus in a real brain MRI: Debian's {@code mricron-data} ships the "ch2" T1
 * template and the AAL atlas (116 hand-drawn regions) on the same grid. Even axial slices train,
 * odd ones are held out: the example writes them as two MSD cases (slice spacing 2 mm), trains
 * the adapters on the first and reports Dice / IoU / HD95 of left and right hippocampus on the
 * second.
 *
 * <pre>java -Dai.djl.offline=true -cp examples/target/medsa.jar org.medsa.examples.FineTuneBrainMri \
 *     --model vit_b --checkpoint sam_vit_b_01ec64.pth --steps 1000 --out runs/hippocampus</pre>
 */
public final class FineTuneBrainMri {

    static final Path CH2 = Path.of("/usr/share/mricron/templates/ch2.nii.gz");
    static final Path AAL = Path.of("/usr/share/mricron/templates/aal.nii.gz");
    /** AAL labels of the left and right hippocampus. */
    static final int LEFT = 37;
    static final int RIGHT = 38;

    private FineTuneBrainMri() {}

    public static void main(String[] argv) throws Exception {
        Map<String, String> a = ExampleSupport.args(argv);
        Path out = Path.of(a.getOrDefault("out", "runs/hippocampus"));
        Path data = writeDataset(out.resolve("ch2-hippocampus"));
        Path[] base = ExampleSupport.base(a, out.resolve("base"));
        TrainConfig cfg = TrainConfig.forPreset("paper");
        cfg.steps = Integer.parseInt(a.getOrDefault("steps", "200"));
        cfg.batch = Integer.parseInt(a.getOrDefault("batch", "4"));
        MsdDataset train = MsdDataset.slices(data).optSubset(Subset.TRAINING).setSampling(cfg.batch, false).build();
        MsdDataset val = MsdDataset.slices(data).optSubset(Subset.VALIDATION).setSampling(cfg.batch, false).build();
        MsdDataset eval = MsdDataset.slices(data).optSubset(Subset.VALIDATION).setSampling(1, false).build();
        ExampleSupport.trainAndEvaluate(base[0], base[1], TrainingData.of(train), TrainingData.of(val), cfg, out.resolve("run"),
                (ev, settings) -> ev.evaluate(eval, settings));
    }

    /** Two cases from one volume: even and odd axial slices, hippocampus labels 1 (left) and 2 (right). */
    static Path writeDataset(Path root) throws Exception {
        if (Files.exists(root.resolve("dataset.json"))) {
            return root;
        }
        ImageVolume image = NiftiReader.read(CH2).toImageVolume(0);
        LabelVolume atlas = NiftiReader.read(AAL).toLabelVolume();
        Grid g = image.grid();
        List<String[]> train = new ArrayList<>();
        List<String[]> val = new ArrayList<>();
        for (int parity = 0; parity < 2; parity++) {
            int nz = (g.nz() - parity + 1) / 2;
            double[][] rows = g.affine().toRows();
            double[][] r2 = new double[4][4];
            for (int i = 0; i < 4; i++) {
                r2[i] = rows[i].clone();
                r2[i][3] = rows[i][3] + parity * rows[i][2];
                r2[i][2] = rows[i][2] * 2;
            }
            Grid half = new Grid(g.nx(), g.ny(), nz, Affine.of(r2));
            float[] img = new float[half.voxelCount()];
            int[] lab = new int[half.voxelCount()];
            for (int k = 0; k < nz; k++) {
                for (int j = 0; j < g.ny(); j++) {
                    for (int i = 0; i < g.nx(); i++) {
                        int src = g.index(i, j, 2 * k + parity);
                        int dst = half.index(i, j, k);
                        img[dst] = image.data()[src];
                        int l = atlas.data()[src];
                        lab[dst] = l == LEFT ? 1 : l == RIGHT ? 2 : 0;
                    }
                }
            }
            String name = parity == 0 ? "ch2_even" : "ch2_odd";
            String im = "imagesTr/" + name + ".nii.gz";
            String lb = "labelsTr/" + name + ".nii.gz";
            NiftiWriter.write(NiftiImage.of(new ImageVolume(half, img), NiftiDatatype.FLOAT32), root.resolve(im));
            NiftiWriter.write(NiftiImage.of(new LabelVolume(half, lab), NiftiDatatype.UINT8), root.resolve(lb));
            (parity == 0 ? train : val).add(new String[] {"./" + im, "./" + lb});
        }
        Map<Integer, String> modality = new LinkedHashMap<>();
        modality.put(0, "MRI");
        Map<Integer, String> labels = new LinkedHashMap<>();
        labels.put(0, "background");
        labels.put(1, "hippocampus_left");
        labels.put(2, "hippocampus_right");
        Files.writeString(root.resolve("dataset.json"),
                MsdDescriptor.toJson("ch2-hippocampus", modality, labels, train, val).toString(), StandardCharsets.UTF_8);
        System.err.println("wrote " + root + " (even slices train, odd slices held out)");
        return root;
    }
}
