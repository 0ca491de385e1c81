package org.medsa.data.geometry;

import java.util.Arrays;
import org.medsa.core.MedsaException;

/**
 * An immutable 4x4 homogeneous transform from voxel indices (i, j, k) to world coordinates in
 * millimetres, RAS+ convention (x grows to the patient's Right, y to Anterior, z to Superior), as in
 * NIfTI's qform/sform.
 *
 * <p>Only affine matrices are represented: the last row is always (0, 0, 0, 1).
 */
public final class Affine {

    private final double[] m; // row-major 4x4

    private Affine(double[] rowMajor) {
        this.m = rowMajor;
        m[12] = 0;
        m[13] = 0;
        m[14] = 0;
        m[15] = 1;
    }

    /** The identity: voxel (i, j, k) sits at (i, j, k) mm. */
    public static Affine identity() {
        return diagonal(1, 1, 1, 0, 0, 0);
    }

    /** Axis-aligned grid with the given spacing (mm) and the world position of voxel (0, 0, 0). */
    public static Affine diagonal(double sx, double sy, double sz, double ox, double oy, double oz) {
        return new Affine(new double[] {sx, 0, 0, ox, 0, sy, 0, oy, 0, 0, sz, oz, 0, 0, 0, 1});
    }

    /** From a 4x4 (or 3x4) row-major array of rows. */
    public static Affine of(double[][] rows) {
        if (rows.length < 3) {
            throw new MedsaException("an affine needs at least 3 rows of 4");
        }
        double[] a = new double[16];
        for (int r = 0; r < 3; r++) {
            if (rows[r].length != 4) {
                throw new MedsaException("affine row " + r + " must have 4 values");
            }
            System.arraycopy(rows[r], 0, a, 4 * r, 4);
        }
        return new Affine(a);
    }

    /** From 16 row-major values (the last row is ignored and forced to 0 0 0 1). */
    public static Affine ofRowMajor(double... values) {
        if (values.length != 16 && values.length != 12) {
            throw new MedsaException("an affine needs 12 or 16 values");
        }
        double[] a = new double[16];
        System.arraycopy(values, 0, a, 0, 12);
        return new Affine(a);
    }

    /** Entry ({@code row}, {@code col}) of the 4x4 matrix, both 0-based. */
    public double get(int row, int col) {
        return m[4 * row + col];
    }

    /** The 4x4 matrix as rows (a copy). */
    public double[][] toRows() {
        double[][] rows = new double[4][4];
        for (int r = 0; r < 4; r++) {
            System.arraycopy(m, 4 * r, rows[r], 0, 4);
        }
        return rows;
    }

    /** this x other: first apply {@code other}, then this. */
    public Affine multiply(Affine other) {
        double[] out = new double[16];
        for (int r = 0; r < 4; r++) {
            for (int c = 0; c < 4; c++) {
                double s = 0;
                for (int k = 0; k < 4; k++) {
                    s += m[4 * r + k] * other.m[4 * k + c];
                }
                out[4 * r + c] = s;
            }
        }
        return new Affine(out);
    }

    /** The inverse transform (world to voxel); fails if the 3x3 part is singular. */
    public Affine inverse() {
        double a = m[0], b = m[1], c = m[2];
        double d = m[4], e = m[5], f = m[6];
        double g = m[8], h = m[9], i = m[10];
        double det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
        if (Math.abs(det) < 1e-12) {
            throw new MedsaException("affine is singular (determinant " + det + ")");
        }
        double[] inv = new double[16];
        inv[0] = (e * i - f * h) / det;
        inv[1] = (c * h - b * i) / det;
        inv[2] = (b * f - c * e) / det;
        inv[4] = (f * g - d * i) / det;
        inv[5] = (a * i - c * g) / det;
        inv[6] = (c * d - a * f) / det;
        inv[8] = (d * h - e * g) / det;
        inv[9] = (b * g - a * h) / det;
        inv[10] = (a * e - b * d) / det;
        for (int r = 0; r < 3; r++) {
            inv[4 * r + 3] =
                    -(inv[4 * r] * m[3] + inv[4 * r + 1] * m[7] + inv[4 * r + 2] * m[11]);
        }
        return new Affine(inv);
    }

    /** Maps a point (voxel coordinates) to world coordinates. */
    public double[] apply(double x, double y, double z) {
        return new double[] {
            m[0] * x + m[1] * y + m[2] * z + m[3],
            m[4] * x + m[5] * y + m[6] * z + m[7],
            m[8] * x + m[9] * y + m[10] * z + m[11]
        };
    }

    /** Voxel size along each voxel axis: the lengths of the 3x3 part's columns. */
    public double[] spacing() {
        double[] s = new double[3];
        for (int c = 0; c < 3; c++) {
            s[c] = Math.sqrt(m[c] * m[c] + m[4 + c] * m[4 + c] + m[8 + c] * m[8 + c]);
        }
        return s;
    }

    /** Determinant of the 3x3 part (negative for a left-handed voxel order such as LAS). */
    public double determinant() {
        return m[0] * (m[5] * m[10] - m[6] * m[9])
                - m[1] * (m[4] * m[10] - m[6] * m[8])
                + m[2] * (m[4] * m[9] - m[5] * m[8]);
    }

    /** The world position of voxel (0, 0, 0). */
    public double[] origin() {
        return new double[] {m[3], m[7], m[11]};
    }

    /** A copy with the translation column replaced. */
    public Affine withOrigin(double x, double y, double z) {
        double[] a = m.clone();
        a[3] = x;
        a[7] = y;
        a[11] = z;
        return new Affine(a);
    }

    /** The axis codes, e.g. "RAS" or "LPS" (see {@link Orientation#codeOf}). */
    public String orientationCode() {
        return Orientation.codeOf(this);
    }

    /**
     * How far apart (mm) this affine and {@code other} put the corners of a volume of {@code
     * dims} voxels: the largest of the eight corner-voxel distances. Two grids describe the same
     * place within half a voxel when this is below half the smallest spacing.
     */
    public double cornerDistance(Affine other, long... dims) {
        double worst = 0;
        for (int c = 0; c < 8; c++) {
            double i = (c & 1) == 0 ? 0 : Math.max(0, dims[0] - 1);
            double j = (c & 2) == 0 ? 0 : Math.max(0, dims.length > 1 ? dims[1] - 1 : 0);
            double k = (c & 4) == 0 ? 0 : Math.max(0, dims.length > 2 ? dims[2] - 1 : 0);
            double[] a = apply(i, j, k);
            double[] b = other.apply(i, j, k);
            double d = Math.sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) + (a[2] - b[2]) * (a[2] - b[2]));
            worst = Math.max(worst, Double.isNaN(d) ? Double.POSITIVE_INFINITY : d);
        }
        return worst;
    }

    /** True when every entry of the top three rows differs by at most {@code tolerance} (NaN never matches). */
    public boolean approximatelyEquals(Affine other, double tolerance) {
        for (int k = 0; k < 12; k++) {
            if (!(Math.abs(m[k] - other.m[k]) <= tolerance)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Affine && Arrays.equals(m, ((Affine) o).m);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(m);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("[");
        for (int r = 0; r < 4; r++) {
            sb.append(r == 0 ? "[" : ", [");
            for (int c = 0; c < 4; c++) {
                sb.append(c == 0 ? "" : ", ").append(m[4 * r + c]);
            }
            sb.append(']');
        }
        return sb.append(']').toString();
    }
}
