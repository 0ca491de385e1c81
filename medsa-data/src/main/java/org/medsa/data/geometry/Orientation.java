package org.medsa.data.geometry;

/**
 * Which world direction each voxel axis points to, read off an affine.
 *
 * <p>For each voxel axis (column of the 3x3 part) the world axis with the largest component is
 * chosen, resolving oblique matrices greedily from the largest absolute (normalised) entry down, so
 * that the three voxel axes always map to three different world axes. The sign gives the
 * direction: world x+ is R, y+ is A, z+ is S (NIfTI's RAS+ world), their opposites L, P, I.
 */
public final class Orientation {

    private static final char[] POSITIVE = {'R', 'A', 'S'};
    private static final char[] NEGATIVE = {'L', 'P', 'I'};

    private final int[] worldAxisOfVoxelAxis;
    private final boolean[] negative;

    private Orientation(int[] worldAxisOfVoxelAxis, boolean[] negative) {
        this.worldAxisOfVoxelAxis = worldAxisOfVoxelAxis;
        this.negative = negative;
    }

    /** Reads the orientation of an affine's voxel axes. */
    public static Orientation of(Affine affine) {
        double[][] n = new double[3][3];
        double[] spacing = affine.spacing();
        for (int c = 0; c < 3; c++) {
            for (int r = 0; r < 3; r++) {
                n[r][c] = spacing[c] == 0 ? 0 : affine.get(r, c) / spacing[c];
            }
        }
        int[] axisOf = {-1, -1, -1};
        boolean[] neg = new boolean[3];
        boolean[] rowUsed = new boolean[3];
        for (int pick = 0; pick < 3; pick++) {
            int bestRow = -1, bestCol = -1;
            double best = -1;
            for (int c = 0; c < 3; c++) {
                if (axisOf[c] >= 0) {
                    continue;
                }
                for (int r = 0; r < 3; r++) {
                    if (!rowUsed[r] && Math.abs(n[r][c]) > best) {
                        best = Math.abs(n[r][c]);
                        bestRow = r;
                        bestCol = c;
                    }
                }
            }
            axisOf[bestCol] = bestRow;
            rowUsed[bestRow] = true;
            neg[bestCol] = n[bestRow][bestCol] < 0;
        }
        return new Orientation(axisOf, neg);
    }

    /** The three-letter code of an affine, e.g. "RAS", "LPS", "LAS". */
    public static String codeOf(Affine affine) {
        return of(affine).code();
    }

    /** The world axis (0 = x/R-L, 1 = y/A-P, 2 = z/S-I) that voxel axis {@code voxelAxis} follows. */
    public int worldAxis(int voxelAxis) {
        return worldAxisOfVoxelAxis[voxelAxis];
    }

    /** True when voxel axis {@code voxelAxis} runs against its world axis (towards L, P or I). */
    public boolean isFlipped(int voxelAxis) {
        return negative[voxelAxis];
    }

    /** The voxel axis that follows world axis {@code worldAxis}. */
    public int voxelAxisOfWorldAxis(int worldAxis) {
        for (int v = 0; v < 3; v++) {
            if (worldAxisOfVoxelAxis[v] == worldAxis) {
                return v;
            }
        }
        throw new IllegalStateException("no voxel axis for world axis " + worldAxis);
    }

    /** True when the voxel axes already run R, A, S in that order. */
    public boolean isRas() {
        return "RAS".equals(code());
    }

    /** The three letters the voxel axes i, j, k point to, e.g. "RAS" or "LPS". */
    public String code() {
        char[] c = new char[3];
        for (int v = 0; v < 3; v++) {
            int w = worldAxisOfVoxelAxis[v];
            c[v] = negative[v] ? NEGATIVE[w] : POSITIVE[w];
        }
        return new String(c);
    }

    @Override
    public String toString() {
        return code();
    }
}
