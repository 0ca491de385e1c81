package org.medsa.data.nifti;

import org.medsa.data.geometry.Affine;
import org.medsa.data.volume.Grid;

/** Builds header geometry (pixdim, qform, sform) from an affine. */
public final class NiftiHeaders {

    /** How far from orthonormal the rotation may be and still be stored as a qform. */
    private static final double ORTHOGONALITY_TOLERANCE = 1e-4;

    private NiftiHeaders() {}

    /**
     * A NIfTI-1 little-endian header for a 3D image on {@code grid}: dims, units mm, pixdim from the
     * affine's column lengths, the affine as sform (code 1, scanner) and, when it is a rotation and
     * scaling without shear, also as qform (code 1).
     */
    public static NiftiHeader.Builder forGrid(Grid grid, NiftiDatatype type) {
        NiftiHeader.Builder b = NiftiHeader.builder()
                .version(1)
                .datatype(type)
                .dims(grid.nx(), grid.ny(), grid.nz())
                .xyztUnits(NiftiHeader.UNITS_MM_SEC)
                .scaling(1, 0);
        return withAffine(b, grid.affine(), NiftiHeader.XFORM_SCANNER_ANAT, NiftiHeader.XFORM_SCANNER_ANAT);
    }

    /**
     * Sets pixdim[0..3], the sform (to {@code affine}, with {@code sformCode}) and the qform (with
     * {@code qformCode}, or code 0 when the affine has shear and cannot be a qform).
     */
    public static NiftiHeader.Builder withAffine(
            NiftiHeader.Builder builder, Affine affine, int qformCode, int sformCode) {
        double[] spacing = affine.spacing();
        double[][] r = new double[3][3];
        for (int c = 0; c < 3; c++) {
            for (int row = 0; row < 3; row++) {
                r[row][c] = affine.get(row, c) / spacing[c];
            }
        }
        double qfac = 1.0;
        if (affine.determinant() < 0) { // a left-handed grid: the qform flips the third axis
            qfac = -1.0;
            for (int row = 0; row < 3; row++) {
                r[row][2] = -r[row][2];
            }
        }
        double[] q = isRotation(r) ? quaternion(r) : null;
        double[] origin = affine.origin();
        builder.pixdim(qfac, spacing[0], spacing[1], spacing[2], 1, 0, 0, 0);
        if (q != null) {
            builder.qform(qformCode, q[1], q[2], q[3], origin[0], origin[1], origin[2]);
        } else {
            builder.qform(NiftiHeader.XFORM_UNKNOWN, 0, 0, 0, origin[0], origin[1], origin[2]);
        }
        double[][] rows = affine.toRows();
        return builder.sform(sformCode, new double[][] {rows[0], rows[1], rows[2]});
    }

    private static boolean isRotation(double[][] r) {
        for (int a = 0; a < 3; a++) {
            for (int b = 0; b < 3; b++) {
                double dot = 0;
                for (int k = 0; k < 3; k++) {
                    dot += r[k][a] * r[k][b];
                }
                if (Math.abs(dot - (a == b ? 1 : 0)) > ORTHOGONALITY_TOLERANCE) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Unit quaternion (a, b, c, d) with a >= 0 of a proper rotation matrix (Shepperd's method). */
    static double[] quaternion(double[][] r) {
        double trace = r[0][0] + r[1][1] + r[2][2];
        double a, b, c, d;
        if (trace > 0) {
            double s = 0.5 / Math.sqrt(trace + 1.0);
            a = 0.25 / s;
            b = (r[2][1] - r[1][2]) * s;
            c = (r[0][2] - r[2][0]) * s;
            d = (r[1][0] - r[0][1]) * s;
        } else if (r[0][0] > r[1][1] && r[0][0] > r[2][2]) {
            double s = 2.0 * Math.sqrt(1.0 + r[0][0] - r[1][1] - r[2][2]);
            a = (r[2][1] - r[1][2]) / s;
            b = 0.25 * s;
            c = (r[0][1] + r[1][0]) / s;
            d = (r[0][2] + r[2][0]) / s;
        } else if (r[1][1] > r[2][2]) {
            double s = 2.0 * Math.sqrt(1.0 + r[1][1] - r[0][0] - r[2][2]);
            a = (r[0][2] - r[2][0]) / s;
            b = (r[0][1] + r[1][0]) / s;
            c = 0.25 * s;
            d = (r[1][2] + r[2][1]) / s;
        } else {
            double s = 2.0 * Math.sqrt(1.0 + r[2][2] - r[0][0] - r[1][1]);
            a = (r[1][0] - r[0][1]) / s;
            b = (r[0][2] + r[2][0]) / s;
            c = (r[1][2] + r[2][1]) / s;
            d = 0.25 * s;
        }
        if (a < 0) {
            a = -a;
            b = -b;
            c = -c;
            d = -d;
        }
        double norm = Math.sqrt(a * a + b * b + c * c + d * d);
        return new double[] {a / norm, b / norm, c / norm, d / norm};
    }
}
