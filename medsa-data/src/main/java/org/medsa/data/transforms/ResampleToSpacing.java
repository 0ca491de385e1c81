package org.medsa.data.transforms;

import org.medsa.core.MedsaException;
import org.medsa.data.geometry.Affine;
import org.medsa.data.volume.Grid;
import org.medsa.data.volume.ImageVolume;
import org.medsa.data.volume.LabelVolume;
import org.medsa.data.volume.VolumePair;

/**
 * Resamples to a target voxel size along the voxel axes: trilinear for the image, nearest for the
 * labels (labels are never interpolated).
 *
 * <p>Geometry: each axis keeps its field of view, {@code n' = max(1, round(n * s / s'))} voxels,
 * with centres aligned as in image resizing: new voxel {@code i'} samples old coordinate
 * {@code (i' + 0.5) * s'/s - 0.5}, clamped to the old grid (edge values repeat). The affine's
 * columns are scaled and its origin moved to match, so {@link VolumeResampler#toGrid} can map
 * results back. MSA/MONAI BTCV uses 1.5 x 1.5 x 2.0 mm.
 */
public final class ResampleToSpacing implements VolumeTransform {

    private final double[] target;

    /** Resamples to {@code sx × sy × sz} mm along the voxel axes i, j, k (all positive). */
    public ResampleToSpacing(double sx, double sy, double sz) {
        if (!(sx > 0 && sy > 0 && sz > 0)) {
            throw new MedsaException("target spacing must be positive: " + sx + ", " + sy + ", " + sz);
        }
        this.target = new double[] {sx, sy, sz};
    }

    @Override
    public VolumePair apply(VolumePair volumes) {
        Grid src = volumes.grid();
        double[] spacing = src.spacing();
        boolean same = true;
        for (int a = 0; a < 3; a++) {
            same &= Math.abs(spacing[a] - target[a]) <= 1e-6 * target[a];
        }
        if (same) {
            return volumes;
        }
        int[] shape = new int[3];
        double[] step = new double[3];
        double[][] p = new double[4][4];
        p[3][3] = 1;
        for (int a = 0; a < 3; a++) {
            step[a] = target[a] / spacing[a];
            shape[a] = Math.max(1, (int) Math.round(src.size(a) / step[a]));
            p[a][a] = step[a];
            p[a][3] = 0.5 * step[a] - 0.5;
        }
        Affine affine = src.affine().multiply(Affine.of(p));
        Grid grid = new Grid(shape, affine);
        Axis[] axes = new Axis[3];
        for (int a = 0; a < 3; a++) {
            axes[a] = new Axis(src.size(a), shape[a], step[a]);
        }
        ImageVolume image = new ImageVolume(grid, trilinear(volumes.image().data(), src.shape(), shape, axes));
        LabelVolume label = volumes.hasLabel()
                ? new LabelVolume(grid, nearest(volumes.label().data(), src.shape(), shape, axes))
                : null;
        return new VolumePair(image, label);
    }

    @Override
    public String cacheKey() {
        return "ResampleToSpacing(" + target[0] + "," + target[1] + "," + target[2] + ")";
    }

    /** Per output index along one axis: the two source neighbours, the weight of the upper one, and the nearest. */
    private static final class Axis {
        final int[] lo;
        final int[] hi;
        final float[] w;
        final int[] nearest;

        Axis(int n, int outN, double step) {
            lo = new int[outN];
            hi = new int[outN];
            w = new float[outN];
            nearest = new int[outN];
            for (int o = 0; o < outN; o++) {
                double x = (o + 0.5) * step - 0.5;
                x = Math.max(0, Math.min(n - 1, x));
                int l = (int) Math.floor(x);
                lo[o] = l;
                hi[o] = Math.min(l + 1, n - 1);
                w[o] = (float) (x - l);
                nearest[o] = Math.min((int) Math.floor(x + 0.5), n - 1);
            }
        }
    }

    private static float[] trilinear(float[] src, int[] in, int[] out, Axis[] ax) {
        int nx = in[0], nxy = in[0] * in[1];
        float[] dst = new float[out[0] * out[1] * out[2]];
        int o = 0;
        for (int k = 0; k < out[2]; k++) {
            int z0 = ax[2].lo[k] * nxy, z1 = ax[2].hi[k] * nxy;
            float wz = ax[2].w[k];
            for (int j = 0; j < out[1]; j++) {
                int y0 = ax[1].lo[j] * nx, y1 = ax[1].hi[j] * nx;
                float wy = ax[1].w[j];
                for (int i = 0; i < out[0]; i++) {
                    int x0 = ax[0].lo[i], x1 = ax[0].hi[i];
                    float wx = ax[0].w[i];
                    float c00 = src[z0 + y0 + x0] + wx * (src[z0 + y0 + x1] - src[z0 + y0 + x0]);
                    float c01 = src[z0 + y1 + x0] + wx * (src[z0 + y1 + x1] - src[z0 + y1 + x0]);
                    float c10 = src[z1 + y0 + x0] + wx * (src[z1 + y0 + x1] - src[z1 + y0 + x0]);
                    float c11 = src[z1 + y1 + x0] + wx * (src[z1 + y1 + x1] - src[z1 + y1 + x0]);
                    float c0 = c00 + wy * (c01 - c00);
                    float c1 = c10 + wy * (c11 - c10);
                    dst[o++] = c0 + wz * (c1 - c0);
                }
            }
        }
        return dst;
    }

    private static int[] nearest(int[] src, int[] in, int[] out, Axis[] ax) {
        int nx = in[0], nxy = in[0] * in[1];
        int[] dst = new int[out[0] * out[1] * out[2]];
        int o = 0;
        for (int k = 0; k < out[2]; k++) {
            int z = ax[2].nearest[k] * nxy;
            for (int j = 0; j < out[1]; j++) {
                int y = ax[1].nearest[j] * nx;
                for (int i = 0; i < out[0]; i++) {
                    dst[o++] = src[z + y + ax[0].nearest[i]];
                }
            }
        }
        return dst;
    }
}
