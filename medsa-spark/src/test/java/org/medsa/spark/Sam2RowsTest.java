package org.medsa.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medsa.adapters.ModelLoader;
import org.medsa.core.MedsaException;
import org.medsa.core.io.pth.TensorData;
import org.medsa.core.modeling.PromptableModel;
import org.medsa.core.testing.Fixtures;
import org.medsa.data.geometry.Affine;
import org.medsa.data.nifti.NiftiDatatype;
import org.medsa.data.nifti.NiftiImage;
import org.medsa.data.nifti.NiftiReader;
import org.medsa.data.nifti.NiftiWriter;
import org.medsa.data.volume.Grid;
import org.medsa.data.volume.ImageVolume;
import org.medsa.inference.Propagation;
import org.medsa.inference.SegmentationInput;
import org.medsa.inference.VolumePrompts;
import org.medsa.inference.VolumeSegmenter;

/**
 * Batch rows with a SAM 2 model (the {@code sam2_tiny} fixture's): a row with a click and {@code
 * propagate} writes what the volume segmenter tracks, as {@code segment --propagate} does; the
 * option is checked when the batch is built.
 */
class Sam2RowsTest {

    @TempDir
    Path tmp;

    @Test
    void aRowTracksWithMemory() throws Exception {
        TensorData v = Fixtures.npy("sam2_tiny", "volume_uint8.npy");
        float[] d = new float[6 * 90 * 70];
        for (int k = 0; k < 6; k++) {
            for (int i = 0; i < 90; i++) {
                for (int j = 0; j < 70; j++) {
                    d[i + 90 * (j + 70 * k)] = v.bytes()[(k * 90 + i) * 70 + j] & 0xff;
                }
            }
        }
        Path image = tmp.resolve("blob.nii.gz");
        NiftiWriter.write(NiftiImage.of(new ImageVolume(new Grid(90, 70, 6, Affine.identity()), d), NiftiDatatype.FLOAT32),
                image);
        Path cfg = Fixtures.path("sam2_tiny", "config.json");
        Path ckpt = Fixtures.path("sam2_tiny", "checkpoint.pt");
        BatchOptions o = BatchOptions.builder().model(cfg.toString(), ckpt).out(tmp.resolve("out")).propagate("both").build();
        try (NDManager m = NDManager.newBaseManager()) {
            PromptableModel model = ModelLoader.forModel(cfg.toString(), ckpt).loadModel(m);
            BatchResult r;
            try (RowSegmenter rows = new RowSegmenter(model, m, o)) {
                r = rows.process(new BatchRow("blob", image.toString(), null, "42,35,3,1", null, null));
            }
            assertTrue(r.ok(), r.status());
            int[] want;
            try (VolumeSegmenter vs = new VolumeSegmenter(model, m)) {
                want = vs.segment(SegmentationInput.read(image), new VolumePrompts().point(42, 35, 3, true),
                        VolumeSegmenter.Options.builder().propagate(Propagation.Direction.BOTH, Integer.MAX_VALUE).build())
                        .labels().data();
            }
            int[] got = NiftiReader.read(tmp.resolve("out").resolve(r.mask())).toLabelVolume().data();
            assertArrayEquals(want, got);
            for (int k = 0; k < 6; k++) {
                int slice = k;
                assertTrue(Arrays.stream(got, k * 90 * 70, (k + 1) * 90 * 70).anyMatch(x -> x == 1), "tracked onto slice "
                        + slice);
            }
        }
        MedsaException e = Assertions.assertThrows(MedsaException.class,
                () -> BatchOptions.builder().model(cfg.toString(), ckpt).out(tmp.resolve("o2")).propagate("sideways").build());
        assertEquals("propagation direction must be both, up or down, got 'sideways'", e.getMessage());
    }
}
