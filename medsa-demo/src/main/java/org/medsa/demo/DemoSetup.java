package org.medsa.demo;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import org.medsa.adapters.ModelLoader;
import org.medsa.core.Diagnostics;
import org.medsa.core.modeling.Sam;
import org.medsa.core.modeling.SamConfig;
import org.medsa.core.modeling.sam2.Sam2Config;
import org.medsa.core.modeling.sam2.Sam2Model;
import org.medsa.core.nn.ComputePrecision;
import org.medsa.data.nifti.NiftiDatatype;
import org.medsa.data.nifti.NiftiImage;
import org.medsa.data.nifti.NiftiWriter;
import org.medsa.data.phantom.Phantom;
import org.medsa.data.volume.ImageVolume;
import org.medsa.server.ServedModel;

/**
 * The embedded default of {@code medsa serve}: the demo's model (the small SAM this library
 * pre-trained on CT-like phantoms, with the adapters {@code medsa demo} trains for MR-like
 * phantoms, both shipped in the jars) and the demo's held-out MR-like phantom volumes, so the
 * viewer works with nothing downloaded. With {@code --family sam2}: the demo's SAM 2 and held-out
 * CT-like phantoms.
 */
public final class DemoSetup {

    private DemoSetup() {}

    /**
     * Extracts the demo model into {@code dir} (kept when unchanged) and loads it.
     *
     * @param notes receives what the loader says
     */
    public static ServedModel model(NDManager manager, Path dir, Diagnostics notes) {
        return model(manager, dir, notes, ComputePrecision.FP32);
    }

    /** As {@link #model(NDManager, Path, Diagnostics)}, the image encoder computing in {@code precision}. */
    public static ServedModel model(NDManager manager, Path dir, Diagnostics notes, ComputePrecision precision) {
        DemoModels.Base b = DemoModels.extractBase(dir);
        Path adapters = DemoModels.extractMrAdapters(dir);
        Sam sam = ModelLoader.of(SamConfig.load(b.config()), b.checkpoint()).adapterWeights(adapters).precision(precision)
                .notes(notes).load(manager);
        return ServedModel.of(sam, "demo: phantom SAM + MR adapters", b.checkpoint(), adapters);
    }

    /**
     * Extracts the demo's SAM 2 (pre-trained on CT-like phantoms, {@link DemoModels#extractSam2})
     * into {@code dir} (kept when unchanged) and loads it: served with {@link #ctData}, its
     * propagation tracks with memory.
     */
    public static ServedModel sam2Model(NDManager manager, Path dir) {
        return sam2Model(manager, dir, ComputePrecision.FP32);
    }

    /**
     * As {@link #sam2Model(NDManager, Path)}, the trunk and the memory attention computing in
     * {@code precision} (fp32 or bf16).
     */
    public static ServedModel sam2Model(NDManager manager, Path dir, ComputePrecision precision) {
        DemoModels.Base b = DemoModels.extractSam2(dir);
        Sam2Model model = Sam2Model.load(Sam2Config.load(b.config()), b.checkpoint(), manager);
        model.computeType(precision.dataType());
        return ServedModel.of(model, "demo: phantom SAM 2 (CT-like)", b.checkpoint());
    }

    /**
     * Writes the held-out CT-like phantom volumes the demo's SAM 2 never saw in training into
     * {@code dir} (files already there are kept); returns {@code dir}.
     */
    public static Path ctData(Path dir) {
        return write(DemoModels.ctPhantoms(), dir);
    }

    /** Writes the served phantom volumes into {@code dir} (files already there are kept); returns {@code dir}. */
    public static Path data(Path dir) {
        return write(DemoModels.mrPhantoms(), dir);
    }

    private static Path write(Phantom p, Path dir) {
        // the demo dataset's validation cases: never seen in training
        for (int i = p.caseCount() - p.validationCaseCount(); i < p.caseCount(); i++) {
            Path f = dir.resolve(Phantom.caseId(i) + ".nii.gz");
            if (Files.isRegularFile(f)) {
                continue;
            }
            ImageVolume v = p.generate(i).volumes().image();
            NiftiWriter.write(NiftiImage.of(v, NiftiDatatype.FLOAT32), f);
        }
        return dir;
    }
}
