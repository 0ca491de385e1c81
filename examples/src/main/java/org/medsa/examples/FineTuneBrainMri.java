package org.medsa.examples;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.medsa.core.MedsaException;
import org.medsa.data.dataset.MsdDataset;
import org.medsa.data.dataset.MsdWriter;
import org.medsa.data.dataset.Subset;
import org.medsa.data.geometry.Affine;
import org.medsa.data.nifti.NiftiDatatype;
import org.medsa.data.nifti.NiftiImage;
import org.medsa.data.volume.Grid;
import org.medsa.data.volume.ImageVolume;
import org.medsa.data.volume.LabelVolume;
import org.medsa.data.volume.VolumeFiles;
import org.medsa.demo.DemoModels;
import org.medsa.train.FineTuning;
import org.medsa.train.eval.PromptSetting;
import org.medsa.train.training.TrainConfig;
import org.medsa.train.training.TrainingData;

/**
 * Segments the hippocampus (or other AAL regions, {@code --regions}) in a real brain MRI: Debian's
 * {@code mricron-data} ships the "ch2" T1 template and the AAL atlas (116 hand-drawn regions) on
 * the same grid (181×217×181, 1 mm). Even axial slices train, odd ones are held out ({@code
 * --held-out even} swaps them): the example writes them as two MSD cases (slice
 * spacing 2 mm), evaluates the base model with fresh adapters, trains the adapters on the first
 * case and evaluates again on the second: Dice / IoU / HD95 of the left and right hippocampus
 * under the paper's four prompt settings. The slices are 181×217 (non-square): the model's input
 * geometry pads them, in training as in evaluation. Both settings families are reported: the
 * paper's four per-slice settings and {@code 3d-1-point} (one click per hippocampus, propagated
 * through the held-out case). With {@code --family sam2} the same is done with SAM 2 and Med-SA's
 * adapters on chunks of {@code --sequence} slices tracked with memory, scored under the same
 * settings (per slice without memory), its best adapters chosen by {@code 3d-1-point}. Both
 * families train with the same loss ({@code --loss}, default {@code dice-bce}). Uses only the
 * library's public API.
 *
 * <pre>java -Dai.djl.offline=true -cp examples/target/medsa.jar org.medsa.examples.FineTuneBrainMri \
 *     --model vit_b --checkpoint sam_vit_b_01ec64.pth --steps 1000 --out runs/hippocampus</pre>
 */
public final class FineTuneBrainMri {

    static final Path TEMPLATES = Path.of("/usr/share/mricron/templates");
    /** AAL labels of the left and right hippocampus, the default regions. */
    static final String HIPPOCAMPI = "37,38";

    private FineTuneBrainMri() {}

    public static void main(String[] argv) throws Exception {
        MainArgs a = new MainArgs("FineTuneBrainMri", "Fine-tunes Med-SA adapters to segment the hippocampus (or other AAL"
                + " regions) in the ch2 T1 MRI (AAL atlas labels; even axial slices train, odd slices are held out).")
                .option("templates", TEMPLATES.toString(), "folder with ch2.nii.gz and aal.nii.gz (Debian package mricron-data)")
                .option("family", "sam", "sam or sam2: which model family (without --checkpoint: the demo's model of it)")
                .option("model", "vit_b", "model preset or config.json (with --checkpoint)")
                .option("sequence", "4", "SAM 2: slices per training chunk")
                .option("regions", HIPPOCAMPI, "AAL region numbers to segment, comma-separated (aal.nii.txt names them; 37,38"
                        + " the hippocampi, 41,42 the amygdalae)")
                .option("held-out", "odd", "which axial slices are held out for evaluation: odd or even (the others train)")
                .option("checkpoint", null, "base SAM weights; without it the demo's small phantom-trained SAM")
                .option("steps", "400", "optimiser steps")
                .option("loss", "dice-bce", "training loss of either family: dice-bce, sam, bce-pos-weight or (SAM 2) sam2")
                .option("lr", null, "peak learning rate (default: 3e-3 for SAM 2, the preset's for SAM)")
                .option("batch", "4", "slices per step")
                .option("seed", "42", "seed of the adapters' start and the prompts")
                .option("out", "runs/hippocampus", "output folder");
        try {
            if (!a.parse(argv)) {
                return;
            }
            Path out = a.path("out");
            int[] regions = regions(a.string("regions"));
            String heldOut = a.string("held-out");
            if (!heldOut.equals("odd") && !heldOut.equals("even")) {
                throw new MedsaException("--held-out must be odd or even, got '" + heldOut + "'");
            }
            String name = a.string("regions").equals(HIPPOCAMPI) && heldOut.equals("odd") ? "ch2-hippocampus"
                    : "ch2-aal-" + a.string("regions").replace(',', '-') + "-" + heldOut + "-held-out";
            Path data = writeDataset(a.path("templates"), out.resolve(name), regions, heldOut.equals("odd") ? 1 : 0);
            boolean sam2 = "sam2".equals(a.string("family"));
            if (!sam2 && !"sam".equals(a.string("family"))) {
                throw new MedsaException("--family must be sam or sam2, got '" + a.string("family") + "'");
            }
            MsdDataset val = MsdDataset.slices(data).optSubset(Subset.VALIDATION).setSampling(1, false).build();
            // both families are scored under the paper's four per-slice settings and 3d-1-point
            List<PromptSetting> settings = new ArrayList<>(PromptSetting.paper());
            settings.add(PromptSetting.parse(PromptSetting.VOLUME_ONE_POINT_ID));
            long t0 = System.nanoTime();
            FineTuning.Result r;
            String main;
            if (sam2) {
                int t = a.integer("sequence", 2);
                int steps = a.integer("steps", 1);
                // the same Dice+BCE as SAM's run: on this small structure it also learns faster than SAM 2.1's
                // focal-weighted loss (docs/sam2.md)
                TrainConfig.Builder b = TrainConfig.sam2().loss(a.string("loss"));
                TrainConfig cfg = b.steps(steps).batch(a.integer("batch", 1)).lr(a.string("lr") == null ? 3e-3 : a.number("lr"))
                        .validateEvery(Math.max(25, steps / 10)).seed(a.integer("seed", 0)).build();
                MsdDataset train = MsdDataset.chunks(data, t).optSubset(Subset.TRAINING).build();
                MsdDataset valChunks = MsdDataset.chunks(data, t).optSubset(Subset.VALIDATION).build();
                r = DemoModels.sam2FineTuningOnBaseOrDemo(a.string("model"), a.path("checkpoint"), cfg, out.resolve("run"))
                        .settings(settings)
                        .run(TrainingData.of(train), TrainingData.of(valChunks), (ev, s) -> ev.evaluate(val, s));
                main = PromptSetting.VOLUME_ONE_POINT_ID;
            } else {
                TrainConfig.Builder b = TrainConfig.builder("paper").loss(a.string("loss"));
                if (a.string("lr") != null) {
                    b.lr(a.number("lr"));
                }
                TrainConfig cfg = b.steps(a.integer("steps", 1)).batch(a.integer("batch", 1)).seed(a.integer("seed", 0)).build();
                MsdDataset train = MsdDataset.slices(data).optSubset(Subset.TRAINING).setSampling(cfg.batch(), false).build();
                r = DemoModels.fineTuningOnBaseOrDemo(a.string("model"), a.path("checkpoint"), cfg, out.resolve("run"))
                        .settings(settings)
                        .run(TrainingData.of(train), TrainingData.of(val), (ev, s) -> ev.evaluate(val, s));
                main = "1-point";
            }
            System.out.println("## before\n" + r.before().markdown() + "\n## after\n" + r.after().markdown());
            System.out.printf(Locale.ROOT, "best validation Dice %.4f at step %d; evaluation %s mean Dice %.4f; %.0f s%n",
                    r.training().bestDice(), r.training().bestStep(), main, r.after().meanDice(main),
                            (System.nanoTime() - t0) / 1e9);
        } catch (MedsaException e) {
            System.err.println("error: " + e.getMessage());
            System.exit(2);
        }
    }

    /** AAL region numbers from "37,38": each 1..255, no repeats. */
    static int[] regions(String text) {
        String[] parts = text.split(",");
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new MedsaException("--regions takes AAL region numbers like 37,38, got '" + text + "'");
            }
            if (out[i] < 1 || out[i] > 255) {
                throw new MedsaException("--regions: an AAL region number is 1..255, got " + out[i]);
            }
        }
        if (Arrays.stream(out).distinct().count() != out.length) {
            throw new MedsaException("--regions names a region twice: '" + text + "'");
        }
        return out;
    }

    /**
     * Two cases from one volume, its even and its odd axial slices (the {@code heldOutParity} ones
     * are the validation case), the AAL {@code regions} labelled 1, 2, … in order and named from
     * {@code aal.nii.txt} ("Hippocampus_L" becomes hippocampus_left).
     */
    static Path writeDataset(Path templates, Path root, int[] regions, int heldOutParity) {
        if (Files.exists(root.resolve("dataset.json"))) {
            return root;
        }
        Path ch2 = templates.resolve("ch2.nii.gz");
        Path aal = templates.resolve("aal.nii.gz");
        if (!Files.isRegularFile(ch2) || !Files.isRegularFile(aal)) {
            throw new MedsaException(templates + ": ch2.nii.gz and aal.nii.gz not found (install the Debian package mricron-data,"
                    + " or give --templates)");
        }
        ImageVolume image = VolumeFiles.read(ch2).toImageVolume(0);
        LabelVolume atlas = VolumeFiles.read(aal).toLabelVolume();
        Grid g = image.grid();
        Map<Integer, String> names = aalNames(templates.resolve("aal.nii.txt"));
        Map<Integer, String> labels = new LinkedHashMap<>();
        labels.put(0, "background");
        int[] toLabel = new int[256];
        for (int r = 0; r < regions.length; r++) {
            int region = regions[r];
            if (Arrays.stream(atlas.data()).noneMatch(v -> v == region)) {
                throw new MedsaException(aal + " has no voxel of region " + region);
            }
            labels.put(r + 1, names.getOrDefault(regions[r], "aal_" + regions[r]));
            toLabel[regions[r]] = r + 1;
        }
        try (MsdWriter msd = MsdWriter.create(root, root.getFileName().toString(), Map.of(0, "MRI"), labels)) {
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
                            lab[dst] = l >= 0 && l < 256 ? toLabel[l] : 0;
                        }
                    }
                }
                msd.add(parity == 0 ? "ch2_even" : "ch2_odd", NiftiImage.of(new ImageVolume(half, img), NiftiDatatype.FLOAT32),
                        NiftiImage.of(new LabelVolume(half, lab), NiftiDatatype.UINT8), parity == heldOutParity);
            }
            msd.finish();
        }
        System.err.println("wrote " + root + (heldOutParity == 1 ? " (even slices train, odd slices held out)"
                : " (odd slices train, even slices held out)"));
        return root;
    }

    /** AAL region names from mricron's {@code aal.nii.txt} ("37 Hippocampus_L 4101"), as hippocampus_left; empty if absent. */
    static Map<Integer, String> aalNames(Path table) {
        Map<Integer, String> names = new LinkedHashMap<>();
        if (!Files.isRegularFile(table)) {
            return names;
        }
        try {
            for (String line : Files.readAllLines(table)) {
                String[] f = line.trim().split("\\s+");
                if (f.length >= 2 && f[0].matches("\\d+")) {
                    String n = f[1].toLowerCase(Locale.ROOT);
                    n = n.endsWith("_l") ? n.substring(0, n.length() - 2) + "_left"
                            : n.endsWith("_r") ? n.substring(0, n.length() - 2) + "_right" : n;
                    names.put(Integer.parseInt(f[0]), n);
                }
            }
        } catch (IOException e) {
            throw new MedsaException(table + ": cannot read the AAL region names (" + e.getMessage() + ")");
        }
        return names;
    }
}
