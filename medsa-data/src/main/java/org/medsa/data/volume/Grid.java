package org.medsa.data.volume;

import java.util.Arrays;
import org.medsa.core.MedsaException;
import org.medsa.data.geometry.Affine;
import org.medsa.data.geometry.Orientation;

/**
 * The geometry of a 3D voxel grid: its shape (nx, ny, nz) and the affine from voxel index
 * (i, j, k) to world millimetres.
 *
 * <p>Voxels are stored with i fastest (NIfTI / Fortran order): {@code index = i + nx * (j + ny * k)}.
 */
public final class Grid {

    /** Relative tolerance of voxel spacings that belong to one grid. */
    public static final double SPACING_TOLERANCE = 1e-3;

    /** The aspects in which two grids can differ, in the order {@link #compare} checks them. */
    public enum Difference {
        /** Another number of voxels along some axis. */
        SHAPE,
        /** Another voxel spacing (beyond {@link #SPACING_TOLERANCE}). */
        SPACING,
        /** Another axis orientation code (e.g. LPS against RAS). */
        ORIENTATION,
        /** Voxels placed more than half a voxel apart (another origin or direction). */
        POSITION
    }

    private final int[] shape;
    private final Affine affine;

    /** A grid of nx × ny × nz voxels (each positive, at most 2^31-1 in all) placed by {@code affine} (voxel to mm). */
    public Grid(int nx, int ny, int nz, Affine affine) {
        if (nx <= 0 || ny <= 0 || nz <= 0) {
            throw new MedsaException(
                    "grid dimensions must be positive, got " + nx + "x" + ny + "x" + nz);
        }
        if ((long) nx * ny * nz > Integer.MAX_VALUE) {
            throw new MedsaException(
                    "grid " + nx + "x" + ny + "x" + nz + " has more than 2^31-1 voxels");
        }
        this.shape = new int[] {nx, ny, nz};
        this.affine = affine;
    }

    /** A grid of shape (nx, ny, nz) placed by {@code affine}. */
    public Grid(int[] shape, Affine affine) {
        this(shape[0], shape[1], shape[2], affine);
    }

    /** (nx, ny, nz), a copy. */
    public int[] shape() {
        return shape.clone();
    }

    /** Size along axis 0 (i), 1 (j) or 2 (k). */
    public int size(int axis) {
        return shape[axis];
    }

    /** Size along i. */
    public int nx() {
        return shape[0];
    }

    /** Size along j. */
    public int ny() {
        return shape[1];
    }

    /** Size along k. */
    public int nz() {
        return shape[2];
    }

    /** Number of voxels, nx · ny · nz. */
    public int voxelCount() {
        return shape[0] * shape[1] * shape[2];
    }

    /** The storage index of voxel (i, j, k): {@code i + nx * (j + ny * k)}. */
    public int index(int i, int j, int k) {
        return i + shape[0] * (j + shape[1] * k);
    }

    /** The voxel-to-world affine, in mm. */
    public Affine affine() {
        return affine;
    }

    /** Voxel size along i, j, k in mm (column lengths of the affine). */
    public double[] spacing() {
        return affine.spacing();
    }

    /** e.g. "RAS". */
    public String orientationCode() {
        return Orientation.codeOf(affine);
    }

    /** Same shape and affine within {@code tolerance} mm. */
    public boolean matches(Grid other, double tolerance) {
        return Arrays.equals(shape, other.shape) && affine.approximatelyEquals(other.affine, tolerance);
    }

    /**
     * How far apart (mm) this grid and {@code other} place the corners of this grid's voxel box;
     * two grids whose voxels lie within {@link #halfVoxel} of each other are the same grid.
     */
    public double cornerDistance(Grid other) {
        return affine.cornerDistance(other.affine, shape[0], shape[1], shape[2]);
    }

    /**
     * The one test of "the same grid" (a label on its image, a prediction on its truth): null when
     * {@code other} has this shape, spacings within {@link #SPACING_TOLERANCE}, this orientation
     * and places every voxel within {@link #halfVoxel} of where this grid does; else the first
     * aspect that differs. Callers name their files in the message.
     */
    public Difference compare(Grid other) {
        if (!Arrays.equals(shape, other.shape)) {
            return Difference.SHAPE;
        }
        double[] a = spacing();
        double[] b = other.spacing();
        for (int axis = 0; axis < 3; axis++) {
            if (Math.abs(a[axis] - b[axis]) > SPACING_TOLERANCE * Math.max(Math.max(Math.abs(a[axis]), Math.abs(b[axis])),
                    1e-6)) {
                return Difference.SPACING;
            }
        }
        if (!orientationCode().equals(other.orientationCode())) {
            return Difference.ORIENTATION;
        }
        return cornerDistance(other) > halfVoxel() ? Difference.POSITION : null;
    }

    /** Half of the smallest positive voxel spacing (mm; 0.5 for a degenerate affine). */
    public double halfVoxel() {
        return 0.5 * Arrays.stream(spacing()).filter(v -> v > 0).min().orElse(1);
    }

    /** The same shape with another affine. */
    public Grid withAffine(Affine newAffine) {
        return new Grid(shape, newAffine);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Grid && Arrays.equals(shape, ((Grid) o).shape) && affine.equals(((Grid) o).affine);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape) + affine.hashCode();
    }

    @Override
    public String toString() {
        double[] s = spacing();
        return shape[0] + "x" + shape[1] + "x" + shape[2] + " voxels of " + s[0] + "x" + s[1] + "x" + s[2]
                + " mm, " + orientationCode();
    }
}
