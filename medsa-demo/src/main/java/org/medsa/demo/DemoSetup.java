package org.medsa.demo;

import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import org.medsa.adapters.ModelLoader;
import org.medsa.core.Diagnostics;
import org.medsa.core.modeling.Sam;
import org.medsa.core.modeling.SamConfig;
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
 * viewer works with nothing downloaded.
 */
public final class DemoSetup {

    private DemoSetup() {}

    /**
     * Extracts the demo model into {@code dir} (kept when unchanged) and loads it.
     *
     * @param notes receives what the loader says
     */
    public static ServedModel model(NDManager manager, Path dir, Diagnostics notes) {
        DemoModels.Base b = DemoModels.extractBase(dir);
        Path adapters = DemoModels.extractMrAdapters(dir);
        Sam sam = ModelLoader.of(SamConfig.load(b.config()), b.checkpoint()).adapterWeights(adapters).notes(notes).load(manager);
        return ServedModel.of(sam, "demo: phantom SAM + MR adapters", b.checkpoint(), adapters);
    }

    /** Writes the served phantom volumes into {@code dir} (files already there are kept); returns {@code dir}. */
    public static Path data(Path dir) {
        Phantom p = DemoModels.mrPhantoms();
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
