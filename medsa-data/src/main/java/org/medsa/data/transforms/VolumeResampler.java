package org.medsa.data.transforms;

import org.medsa.data.geometry.Affine;
import org.medsa.data.volume.Grid;
import org.medsa.data.volume.ImageVolume;
import org.medsa.data.volume.LabelVolume;

/**
 * Resamples a volume onto any other grid through world coordinates: for every target voxel the
 * source position is {@code inverse(source.affine) * target.affine * (i, j, k)}. Because every
 * preprocessing step keeps the affine exact, this maps predictions made on a preprocessed
 * (reoriented, cropped, resampled) volume back onto the original file's grid, e.g. for per-organ
 * 3D Dice at full resolution. Positions outside the source are filled with {@code outside} / 0.
 */
public final class VolumeResampler {

    private VolumeResampler() {}

    /** Trilinear resampling of an image onto {@code target}. */
    public static ImageVolume toGrid(ImageVolume image, Grid target, float outside) {
        Grid src = image.grid();
        Affine m = src.affine().inverse().multiply(target.affine());
        float[] s = image.data();
        int nx = src.nx(), ny = src.ny(), nz = src.nz();
        float[] out = new float[target.voxelCount()];
        int o = 0;
        for (int k = 0; k < target.nz(); k++) {
            for (int j = 0; j < target.ny(); j++) {
                for (int i = 0; i < target.nx(); i++) {
                    double[] p = m.apply(i, j, k);
                    out[o++] = sample(s, nx, ny, nz, p[0], p[1], p[2], outside);
                }
            }
        }
        return new ImageVolume(target, out);
    }

    /** Nearest-neighbour resampling of labels onto {@code target}; outside voxels get label 0. */
    public static LabelVolume toGrid(LabelVolume labels, Grid target) {
        Grid src = labels.grid();
        Affine m = src.affine().inverse().multiply(target.affine());
        int[] s = labels.data();
        int nx = src.nx(), ny = src.ny(), nz = src.nz();
        int[] out = new int[target.voxelCount()];
        int o = 0;
        for (int k = 0; k < target.nz(); k++) {
            for (int j = 0; j < target.ny(); j++) {
                for (int i = 0; i < target.nx(); i++) {
                    double[] p = m.apply(i, j, k);
                    int x = (int) Math.floor(p[0] + 0.5), y = (int) Math.floor(p[1] + 0.5), z = (int) Math.floor(p[2] + 0.5);
                    out[o++] = x >= 0 && x < nx && y >= 0 && y < ny && z >= 0 && z < nz ? s[x + nx * (y + ny * z)] : 0;
                }
            }
        }
        return new LabelVolume(target, out);
    }

    private static float sample(float[] s, int nx, int ny, int nz, double x, double y, double z, float outside) {
        // within half a voxel of the edge counts as inside (clamped), like the resampling step itself
        if (x < -0.5 || y < -0.5 || z < -0.5 || x > nx - 0.5 || y > ny - 0.5 || z > nz - 0.5) {
            return outside;
        }
        x = Math.max(0, Math.min(nx - 1, x));
        y = Math.max(0, Math.min(ny - 1, y));
        z = Math.max(0, Math.min(nz - 1, z));
        int x0 = (int) Math.floor(x), y0 = (int) Math.floor(y), z0 = (int) Math.floor(z);
        int x1 = Math.min(x0 + 1, nx - 1), y1 = Math.min(y0 + 1, ny - 1), z1 = Math.min(z0 + 1, nz - 1);
        double fx = x - x0, fy = y - y0, fz = z - z0;
        int sy = nx, sz = nx * ny;
        double c00 = s[x0 + y0 * sy + z0 * sz] * (1 - fx) + s[x1 + y0 * sy + z0 * sz] * fx;
        double c01 = s[x0 + y1 * sy + z0 * sz] * (1 - fx) + s[x1 + y1 * sy + z0 * sz] * fx;
        double c10 = s[x0 + y0 * sy + z1 * sz] * (1 - fx) + s[x1 + y0 * sy + z1 * sz] * fx;
        double c11 = s[x0 + y1 * sy + z1 * sz] * (1 - fx) + s[x1 + y1 * sy + z1 * sz] * fx;
        double c0 = c00 * (1 - fy) + c01 * fy;
        double c1 = c10 * (1 - fy) + c11 * fy;
        return (float) (c0 * (1 - fz) + c1 * fz);
    }
}
