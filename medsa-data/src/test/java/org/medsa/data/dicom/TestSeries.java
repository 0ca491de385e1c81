package org.medsa.data.dicom;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.medsa.data.geometry.Affine;

/**
 * A small CT series for tests (also used by other modules' tests through the test jar): 20
 * columns × 16 rows × 7 slices, slightly oblique, anisotropic, file names and instance numbers
 * shuffled, one file without preamble and meta information; and its expected RAS affine and values
 * computed from the writing parameters, independently of the reader.
 */
public final class TestSeries {

    private TestSeries() {}

    public static final int COLS = 20;
    public static final int ROWS = 16;
    public static final int SLICES = 7;
    /** Row direction (along a row, increasing column) and column direction, LPS, slightly oblique. */
    public static final double[] ORIENTATION = {0.9950041652780258, 0.09983341664682815, 0, -0.09983341664682815,
            0.9950041652780258, 0};
    public static final double ROW_SPACING = 0.8;
    public static final double COL_SPACING = 0.7;
    public static final double STEP = 2.5;
    public static final double[] ORIGIN = {-30.5, 12.25, 100};

    /** Stored value of voxel (column i, row j, slice k); HU = 2 * stored - 1024. */
    public static short stored(int i, int j, int k) {
        return (short) ((i * 37 + j * 11 + k * 101) % 1500);
    }

    public static double[] normal() {
        return DicomImage.cross(ORIENTATION);
    }

    /** Writes the series with shuffled file names and instance numbers; returns the folder. */
    public static Path write(Path dir, String uid, int skipSlice, boolean duplicate) throws Exception {
        return write(dir, uid, skipSlice, duplicate, false);
    }

    /** Writes the series, RLE Lossless when {@code rle} (then every file has meta information). */
    public static Path write(Path dir, String uid, int skipSlice, boolean duplicate, boolean rle) throws Exception {
        Files.createDirectories(dir);
        List<Integer> order = new ArrayList<>();
        for (int k = 0; k < SLICES; k++) {
            order.add(k);
        }
        Collections.shuffle(order, new Random(3));
        double[] n = normal();
        for (int f = 0; f < SLICES; f++) {
            int k = order.get(f);
            if (k == skipSlice) {
                continue;
            }
            short[] values = new short[ROWS * COLS];
            for (int j = 0; j < ROWS; j++) {
                for (int i = 0; i < COLS; i++) {
                    values[j * COLS + i] = stored(i, j, k);
                }
            }
            double[] p = {ORIGIN[0] + k * STEP * n[0], ORIGIN[1] + k * STEP * n[1], ORIGIN[2] + k * STEP * n[2]};
            DicomTestWriter.Slice s = new DicomTestWriter.Slice(uid, "medsa test series", 100 - 7 * f, p, ORIENTATION,
                    ROW_SPACING,
                    COL_SPACING, STEP, ROWS, COLS, values, 2, -1024);
            String name = String.format("IM%04d", (f * 7919) % 10000);
            DicomTestWriter.write(dir.resolve(name), s, rle || f != 2, rle); // one file without preamble and meta information
            if (duplicate && f == 0) {
                DicomTestWriter.write(dir.resolve(name + "_copy.dcm"), s, true);
            }
        }
        return dir;
    }

    /** The RAS affine of the written series, from its own geometry (LPS x and y negated). */
    public static Affine expectedAffine() {
        double[] n = normal();
        double[][] lps = {
            {ORIENTATION[0] * COL_SPACING, ORIENTATION[3] * ROW_SPACING, n[0] * STEP, ORIGIN[0]},
            {ORIENTATION[1] * COL_SPACING, ORIENTATION[4] * ROW_SPACING, n[1] * STEP, ORIGIN[1]},
            {ORIENTATION[2] * COL_SPACING, ORIENTATION[5] * ROW_SPACING, n[2] * STEP, ORIGIN[2]},
            {0, 0, 0, 1}};
        for (int c = 0; c < 4; c++) {
            lps[0][c] = -lps[0][c];
            lps[1][c] = -lps[1][c];
        }
        return Affine.of(lps);
    }
}
