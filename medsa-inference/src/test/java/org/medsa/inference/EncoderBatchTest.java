package org.medsa.inference;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;
import org.medsa.core.modeling.Sam;
import org.medsa.core.testing.FixtureModels;
import org.medsa.data.phantom.Phantom;
import org.medsa.data.phantom.Rendering;
import org.medsa.data.volume.ImageVolume;

/**
 * Encoding the prompted slices of a volume in batches (one encoder pass for several slices) gives
 * the masks of one slice at a time: the same voxels up to the float rounding of batched
 * arithmetic, which moves a mask boundary by at most a voxel in rare places.
 */
class EncoderBatchTest {

    @Test
    void batchedEncodingGivesTheMasksOfOneSliceAtATime() {
        ImageVolume v = Phantom.builder().seed(8).size(40, 28, 7).cases(2).validationCases(1).rendering(Rendering.MR).build()
                .generate(0).volumes().image();
        SegmentationInput in = SegmentationInput.of(v, null);
        VolumePrompts p = new VolumePrompts().box(6, 4, 0, 30, 22, 6).point(2, 15, 12, 3, true);
        try (NDManager m = NDManager.newBaseManager()) {
            Sam sam = FixtureModels.sam("sam_tiny", m);
            try (VolumeSegmenter vs = new VolumeSegmenter(sam, m)) {
                int[] one = vs.segment(in, p, VolumeSegmenter.Options.defaults()).labels().data();
                int[] three = vs.segment(in, p, VolumeSegmenter.Options.builder().encoderBatch(3).build()).labels().data();
                int differ = 0;
                int labelled = 0;
                for (int q = 0; q < one.length; q++) {
                    differ += one[q] != three[q] ? 1 : 0;
                    labelled += one[q] != 0 ? 1 : 0;
                }
                assertTrue(labelled > 100, "labelled voxels " + labelled);
                assertTrue(differ <= labelled / 200, differ + " of " + labelled + " labelled voxels differ");
                System.out.println("encoder batch 3 vs 1: " + differ + " of " + labelled + " labelled voxels differ");
            }
        }
    }
}
