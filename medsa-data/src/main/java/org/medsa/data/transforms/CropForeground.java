package org.medsa.data.transforms;

import org.medsa.core.MedsaException;
import org.medsa.data.volume.Grid;
import org.medsa.data.volume.ImageVolume;
import org.medsa.data.volume.LabelVolume;
import org.medsa.data.volume.VolumePair;

/**
 * Crops image and label to the bounding box of the foreground plus a margin (MONAI's
 * {@code CropForeground}). Foreground is {@code image > threshold} (after a CT window, air is 0
 * and the box is the body) or, with {@link #ofLabels}, any non-zero label. A volume without
 * foreground is returned unchanged. The affine's origin moves to the new first voxel.
 */
public final class CropForeground implements VolumeTransform {

    private final boolean useLabels;
    private final double threshold;
    private final int margin;

    private CropForeground(boolean useLabels, double threshold, int margin) {
        if (margin < 0) {
            throw new MedsaException("margin must be >= 0, got " + margin);
        }
        this.useLabels = useLabels;
        this.threshold = threshold;
        this.margin = margin;
    }

    /** Foreground = image voxels above {@code threshold}; {@code margin} voxels kept around it. */
    public static CropForeground ofImage(double threshold, int margin) {
        return new CropForeground(false, threshold, margin);
    }

    /** Foreground = non-zero labels. */
    public static CropForeground ofLabels(int margin) {
        return new CropForeground(true, 0, margin);
    }

    @Override
    public VolumePair apply(VolumePair volumes) {
        Grid g = volumes.grid();
        int nx = g.nx(), ny = g.ny(), nz = g.nz();
        int[] lo = {nx, ny, nz};
        int[] hi = {-1, -1, -1};
        float[] img = volumes.image().data();
        int[] lab = useLabels && volumes.hasLabel() ? volumes.label().data() : null;
        if (useLabels && lab == null) {
            return volumes;
        }
        int idx = 0;
        for (int k = 0; k < nz; k++) {
            for (int j = 0; j < ny; j++) {
                for (int i = 0; i < nx; i++, idx++) {
                    boolean fg = lab != null ? lab[idx] != 0 : img[idx] > threshold;
                    if (fg) {
                        if (i < lo[0]) lo[0] = i;
                        if (i > hi[0]) hi[0] = i;
                        if (j < lo[1]) lo[1] = j;
                        if (j > hi[1]) hi[1] = j;
                        if (k < lo[2]) lo[2] = k;
                        if (k > hi[2]) hi[2] = k;
                    }
                }
            }
        }
        if (hi[0] < 0) {
            return volumes;
        }
        int[] shape = g.shape();
        for (int a = 0; a < 3; a++) {
            lo[a] = Math.max(0, lo[a] - margin);
            hi[a] = Math.min(shape[a] - 1, hi[a] + margin);
        }
        return crop(volumes, lo, hi);
    }

    /** The sub-volume {@code lo..hi} (inclusive voxel indices) of image and label. */
    public static VolumePair crop(VolumePair volumes, int[] lo, int[] hi) {
        Grid g = volumes.grid();
        int[] out = {hi[0] - lo[0] + 1, hi[1] - lo[1] + 1, hi[2] - lo[2] + 1};
        double[] origin = g.affine().apply(lo[0], lo[1], lo[2]);
        Grid grid = new Grid(out, g.affine().withOrigin(origin[0], origin[1], origin[2]));
        float[] img = volumes.image().data();
        float[] outImg = new float[grid.voxelCount()];
        int[] lab = volumes.hasLabel() ? volumes.label().data() : null;
        int[] outLab = lab == null ? null : new int[grid.voxelCount()];
        int o = 0;
        for (int k = 0; k < out[2]; k++) {
            for (int j = 0; j < out[1]; j++) {
                int s = g.index(lo[0], lo[1] + j, lo[2] + k);
                System.arraycopy(img, s, outImg, o, out[0]);
                if (lab != null) {
                    System.arraycopy(lab, s, outLab, o, out[0]);
                }
                o += out[0];
            }
        }
        return new VolumePair(new ImageVolume(grid, outImg), lab == null ? null : new LabelVolume(grid, outLab));
    }

    @Override
    public String cacheKey() {
        return "CropForeground(" + (useLabels ? "labels" : "image>" + threshold) + ",margin=" + margin + ")";
    }
}
