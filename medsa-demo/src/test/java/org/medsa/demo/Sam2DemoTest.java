package org.medsa.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medsa.core.Diagnostics;
import org.medsa.core.modeling.sam2.Sam2Config;
import org.medsa.core.modeling.sam2.Sam2Model;
import org.medsa.core.predictor.Prompt;
import org.medsa.data.transforms.Intensity;
import org.medsa.data.volume.ImageVolume;
import org.medsa.data.volume.LabelVolume;
import org.medsa.data.volume.VolumePair;
import org.medsa.inference.Propagation;
import org.medsa.inference.SegmentationInput;
import org.medsa.inference.tracking.SliceSource;
import org.medsa.inference.tracking.TrackedSlice;
import org.medsa.inference.tracking.VolumeTracker;
import org.medsa.server.DataFolder;
import org.medsa.server.ServedModel;

/**
 * The demo's SAM 2: from one click per organ it tracks held-out CT-like phantoms in 3D with a Dice
 * near what docs/demo.md records, each score equals the tracker's own result computed here by
 * hand, and the served SAM 2 demo is that model on the held-out CT-like volumes.
 */
class Sam2DemoTest {

    @TempDir
    Path tmp;

    @Test
    void tracksEveryOrganOfAHeldOutVolumeFromOneClick() throws Exception {
        Sam2Demo.Result r = new Sam2Demo(tmp.resolve("out")).cases(1).adaptSteps(0).console(Diagnostics.none()).run();
        double ct = r.meanDice(Sam2Demo.CT);
        double mr = r.meanDice(Sam2Demo.MR);
        System.out.printf(Locale.ROOT, "SAM 2 demo, one held-out volume each: mean 3D Dice %.4f CT-like, %.4f MR-like%n", ct, mr);
        assertEquals(8, r.scores().size(), "4 organs x 2 renderings");
        // the bound sits well below what docs/demo.md records for the shipped model on this volume
        assertTrue(ct >= 0.7, "CT-like " + ct);
        assertTrue(r.summary().contains("| **mean** |"), r.summary());

        // the liver of the first held-out CT-like volume, tracked directly with the tracker
        Sam2Demo.Score liver = r.scores().get(0);
        assertEquals("liver", liver.organ());
        VolumePair v = DemoModels.ctPhantoms().generate(20).volumes();
        DemoModels.Base b = DemoModels.extractSam2(tmp.resolve("model"));
        try (NDManager manager = NDManager.newBaseManager()) {
            Sam2Model model = Sam2Model.load(Sam2Config.load(b.config()), b.checkpoint(), manager);
            ImageVolume gray = Intensity.auto().resolve(v.image()).apply(v.image());
            LabelVolume truth = v.label();
            int nx = truth.grid().nx();
            int ny = truth.grid().ny();
            boolean[] pred = new boolean[truth.data().length];
            try (VolumeTracker t = VolumeTracker.open(model, SliceSource.of(SegmentationInput.of(v.image(), null), gray, 2),
                    manager)) {
                int[] c = liver.click();
                t.addPrompt(c[2], 1, new Prompt().point(c[1], c[0], 1)); // rows run along i, columns along j
                t.propagate(Propagation.Direction.BOTH, s -> { });
                for (int k = 0; k < truth.grid().nz(); k++) {
                    TrackedSlice s = t.slice(k);
                    boolean[] m = s.mask(1);
                    for (int i = 0; i < nx; i++) {
                        for (int j = 0; j < ny; j++) {
                            pred[i + nx * (j + ny * k)] = m[i * ny + j];
                        }
                    }
                }
            }
            long inter = 0;
            long p = 0;
            long q = 0;
            for (int x = 0; x < pred.length; x++) {
                boolean in = truth.data()[x] == liver.label();
                inter += pred[x] && in ? 1 : 0;
                p += pred[x] ? 1 : 0;
                q += in ? 1 : 0;
            }
            assertEquals(2.0 * inter / (p + q), liver.dice(), 1e-12);

            ServedModel served = DemoSetup.sam2Model(manager, tmp.resolve("served"));
            assertEquals("sam2", served.description().get("family"));
            assertEquals(List.of("phantom_020.nii.gz", "phantom_021.nii.gz", "phantom_022.nii.gz", "phantom_023.nii.gz"),
                    new DataFolder(DemoSetup.ctData(tmp.resolve("data"))).list());
        }
    }

    /**
     * The adaptation learns: after a short run of the demo's recipe the held-out MR-like volumes'
     * 3d-1-point Dice is higher, and the best validation score the run kept is exactly evaluation's
     * 3d-1-point Dice of those adapters on the same volumes.
     */
    @Test
    void adaptingToMrLikePhantomsRaisesThe3dOnePointDice() throws Exception {
        Sam2Demo.Result r = new Sam2Demo(tmp.resolve("adapt")).cases(1).adaptSteps(50).console(Diagnostics.none()).run();
        double before = r.before().meanDice("3d-1-point");
        double after = r.after().meanDice("3d-1-point");
        System.out.printf(Locale.ROOT, "SAM 2 demo adaptation, 50 steps: MR-like 3d-1-point Dice %.4f -> %.4f%n", before, after);
        assertTrue(after > before + 0.05, before + " -> " + after);
        assertEquals(r.training().bestDice(), after, 1e-12, "validation is evaluation on the same volumes");
        assertTrue(r.summary().contains("Adapted to MR-like phantoms"), r.summary());
        assertEquals(List.of("3d-1-point", "1-point", "3-points", "bbox-0.5", "bbox-0.75"), r.after().settings(),
                "the paper's per-slice settings are scored beside 3d-1-point");
        assertTrue(r.summary().contains(String.format(Locale.ROOT, "| bbox-0.5 | %.4f | %.4f |", r.before().meanDice("bbox-0.5"),
                r.after().meanDice("bbox-0.5"))), r.summary());
    }
}
