package org.medsa.data.transforms;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.medsa.data.geometry.Affine;
import org.medsa.data.volume.Grid;
import org.medsa.data.volume.ImageVolume;
import org.medsa.data.volume.LabelVolume;
import org.medsa.data.volume.VolumePair;

/** Volume preprocessing steps on hand-computed cases. */
class VolumeTransformsTest {

    private static VolumePair pair(Grid g, float[] image, int[] labels) {
        return new VolumePair(new ImageVolume(g, image), labels == null ? null : new LabelVolume(g, labels));
    }

    @Test
    void ctWindowScalesAndClips() {
        Grid g = new Grid(5, 1, 1, Affine.identity());
        float[] hu = {-1000, -175, 37.5f, 250, 3000};
        VolumePair out = new CtWindow(-175, 250).apply(pair(g, hu, new int[] {0, 1, 2, 3, 4}));
        assertArrayEquals(new float[] {0, 0, 0.5f, 1, 1}, out.image().data(), 1e-7f);
        assertArrayEquals(new int[] {0, 1, 2, 3, 4}, out.label().data());
        // MedSAM's level 40 / width 400 is -160..240 HU
        assertEquals("CtWindow(-160.0,240.0)", CtWindow.ofLevelWidth(40, 400).cacheKey());
    }

    @Test
    void percentileNormalisationFollowsNumpyPercentiles() {
        // values 1..101: numpy.percentile(v, 0.5) = 1.5 and (v, 99.5) = 100.5 (linear interpolation)
        float[] v = new float[101 + 20];
        for (int i = 0; i < 101; i++) {
            v[i] = i + 1;
        }
        // 20 zeros of background, ignored by the non-zero statistics
        Grid g = new Grid(v.length, 1, 1, Affine.identity());
        float[] out = new PercentileNormalization(0.5, 99.5, true).apply(pair(g, v, null)).image().data();
        assertEquals((51 - 1.5) / 99.0, out[50], 1e-6);
        assertEquals(0, out[0], 0); // 1 < 1.5 clips to 0
        assertEquals(1, out[100], 0); // 101 > 100.5 clips to 1
        assertEquals(0, out[110], 0); // background
        assertEquals(1.5, PercentileNormalization.percentile(sortedOneTo101(), 0.5), 1e-12);
        // with the zeros counted, the low percentile is 0: 121 values, position 0.6 lies among the zeros
        float[] all = new PercentileNormalization(0.5, 99.5, false).apply(pair(g, v, null)).image().data();
        // high: position 119.4 of the 121 sorted values (20 zeros, then 1..101) = 100 + 0.4; value 1 -> 1 / 100.4
        assertEquals(1 / 100.4, all[0], 1e-6);
    }

    private static float[] sortedOneTo101() {
        float[] s = new float[101];
        for (int i = 0; i < 101; i++) {
            s[i] = i + 1;
        }
        return s;
    }

    @Test
    void resamplingDownHalvesWithCentredSamples() {
        // 4 voxels of 1 mm along x -> 2 voxels of 2 mm; new voxel o samples old coordinate (o + 0.5) * 2 - 0.5
        Grid g = new Grid(4, 1, 1, Affine.diagonal(1, 1, 1, 100, 0, 0));
        VolumePair out = new ResampleToSpacing(2, 1, 1).apply(pair(g, new float[] {0, 10, 20, 40}, new int[] {1, 2, 3, 4}));
        assertArrayEquals(new int[] {2, 1, 1}, out.grid().shape());
        assertArrayEquals(new float[] {5, 30}, out.image().data(), 1e-6f); // at 0.5 and 2.5
        assertArrayEquals(new int[] {2, 4}, out.label().data()); // nearest: round(0.5) = 1, round(2.5) = 3 (half up)
        assertEquals(2, out.grid().spacing()[0], 1e-12);
        assertEquals(100.5, out.grid().affine().origin()[0], 1e-12); // the centre of old voxels 0 and 1
    }

    @Test
    void resamplingUpInterpolatesAndRepeatsEdges() {
        Grid g = new Grid(2, 1, 1, Affine.diagonal(2, 1, 1, 0, 0, 0));
        VolumePair out = new ResampleToSpacing(1, 1, 1).apply(pair(g, new float[] {0, 8}, new int[] {5, 7}));
        // old coordinates -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1)
        assertArrayEquals(new float[] {0, 2, 6, 8}, out.image().data(), 1e-6f);
        assertArrayEquals(new int[] {5, 5, 7, 7}, out.label().data());
        assertEquals(-0.5, out.grid().affine().origin()[0], 1e-12);
    }

    @Test
    void resampledLabelsAreNeverMixed() {
        Random r = new Random(3);
        Grid g = new Grid(9, 8, 7, Affine.diagonal(0.7, 0.9, 2.5, 0, 0, 0));
        float[] img = new float[g.voxelCount()];
        int[] lab = new int[g.voxelCount()];
        Set<Integer> present = new TreeSet<>();
        for (int i = 0; i < lab.length; i++) {
            img[i] = r.nextFloat();
            lab[i] = new int[] {0, 3, 17, 250}[r.nextInt(4)];
            present.add(lab[i]);
        }
        VolumePair out = new ResampleToSpacing(1.5, 1.5, 1.0).apply(pair(g, img, lab));
        assertArrayEquals(new int[] {4, 5, 18}, out.grid().shape()); // round(9*0.7/1.5), round(8*0.9/1.5), round(7*2.5)
        for (int v : out.label().data()) {
            assertTrue(present.contains(v), "label " + v + " was interpolated");
        }
        assertSame(out, new ResampleToSpacing(1.5, 1.5, 1.0).apply(out), "no-op at the target spacing");
    }

    @Test
    void cropToForegroundWithMargin() {
        Grid g = new Grid(6, 5, 4, Affine.diagonal(1, 2, 3, 10, 20, 30));
        float[] img = new float[g.voxelCount()];
        int[] lab = new int[g.voxelCount()];
        img[g.index(2, 1, 1)] = 1;
        img[g.index(3, 3, 2)] = 1;
        lab[g.index(3, 3, 2)] = 7;
        VolumePair out = CropForeground.ofImage(0, 1).apply(pair(g, img, lab));
        // box i 2..3, j 1..3, k 1..2, grown by 1 and clipped: i 1..4, j 0..4, k 0..3
        assertArrayEquals(new int[] {4, 5, 4}, out.grid().shape());
        assertArrayEquals(new double[] {11, 20, 30}, out.grid().affine().origin(), 1e-12);
        assertEquals(7, out.label().get(2, 3, 2));
        assertEquals(1, out.image().get(1, 1, 1));
        VolumePair byLabel = CropForeground.ofLabels(0).apply(pair(g, img, lab));
        assertArrayEquals(new int[] {1, 1, 1}, byLabel.grid().shape());
        assertArrayEquals(new double[] {13, 26, 36}, byLabel.grid().affine().origin(), 1e-12);
    }

    @Test
    void resamplingBackOntoTheOriginalGridUndoesReorientationAndCropping() {
        Grid original = new Grid(6, 5, 4, Affine.diagonal(-1.5, 1, -2, 30, -10, 8)); // LAI
        Random r = new Random(11);
        int[] lab = new int[original.voxelCount()];
        float[] img = new float[original.voxelCount()];
        for (int i = 0; i < lab.length; i++) {
            lab[i] = r.nextInt(3);
            img[i] = r.nextInt(100);
        }
        VolumePair pre = VolumePipeline.of(new ReorientToRas(), CropForeground.ofLabels(0)).apply(pair(original, img, lab));
        assertNotEquals(original.orientationCode(), pre.grid().orientationCode());
        LabelVolume back = VolumeResampler.toGrid(pre.label(), original);
        ImageVolume backImage = VolumeResampler.toGrid(pre.image(), original, -1);
        for (int i = 0; i < lab.length; i++) {
            if (back.data()[i] != 0) { // inside the cropped box everything is restored exactly
                assertEquals(lab[i], back.data()[i]);
                assertEquals(img[i], backImage.data()[i], 1e-4);
            }
        }
        assertEquals(Arrays.stream(lab).filter(v -> v != 0).count(),
                Arrays.stream(back.data()).filter(v -> v != 0).count());
    }

    @Test
    void slicesFollowNumpyTakeConvention() {
        Grid g = new Grid(3, 4, 5, Affine.diagonal(0.5, 0.75, 2, 0, 0, 0));
        float[] img = new float[g.voxelCount()];
        for (int k = 0; k < 5; k++) {
            for (int j = 0; j < 4; j++) {
                for (int i = 0; i < 3; i++) {
                    img[g.index(i, j, k)] = 100 * i + 10 * j + k;
                }
            }
        }
        ImageVolume v = new ImageVolume(g, img);
        // axis 2: rows = i, cols = j -> value(r, c) = 100 r + 10 c + k
        float[] axial = Slicer.slice(v, 2, 3);
        assertArrayEquals(new int[] {3, 4}, Slicer.sliceShape(g, 2));
        assertEquals(100 * 2 + 10 * 1 + 3, axial[2 * 4 + 1], 0);
        assertArrayEquals(new double[] {0.5, 0.75}, Slicer.sliceSpacing(g, 2), 0);
        // axis 1: rows = i, cols = k
        assertEquals(100 * 1 + 10 * 2 + 4, Slicer.slice(v, 1, 2)[1 * 5 + 4], 0);
        // axis 0: rows = j, cols = k
        assertEquals(100 * 2 + 10 * 3 + 1, Slicer.slice(v, 0, 2)[3 * 5 + 1], 0);
        assertArrayEquals(new double[] {0.75, 2}, Slicer.sliceSpacing(g, 0), 0);
    }

    @Test
    void pipelineKeysNameEveryParameter() {
        VolumePipeline p = VolumePipeline.of(new ReorientToRas(), new CtWindow(-175, 250), new ResampleToSpacing(1.5, 1.5, 2));
        assertEquals("ReorientToRas | CtWindow(-175.0,250.0) | ResampleToSpacing(1.5,1.5,2.0)", p.cacheKey());
        assertNotEquals(p.cacheKey(), VolumePipeline.ct(-160, 240).cacheKey());
    }
}
