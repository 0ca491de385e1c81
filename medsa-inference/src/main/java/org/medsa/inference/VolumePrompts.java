package org.medsa.inference;

import org.medsa.core.MedsaException;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Prompts in voxel indices (i, j, k) of the input, per output label: clicks, and boxes that span a
 * range of slices (the same 2D box on every slice from one corner's slice to the other's). See
 * {@link SegmentationInput} for the axes of 2D images.
 */
public final class VolumePrompts {

    /** A click at voxel (i, j, k); positive = foreground. */
    public record Point(int label, double i, double j, double k, boolean positive) {}

    /** A box with corners (i0, j0, k0) and (i1, j1, k1), both included. */
    public record Box(int label, double i0, double j0, double k0, double i1, double j1, double k1) {}

    private final List<Point> points = new ArrayList<>();
    private final List<Box> boxes = new ArrayList<>();

    /** A click for label 1. */
    public VolumePrompts point(double i, double j, double k, boolean positive) {
        return point(1, i, j, k, positive);
    }

    /** A click for {@code label} (1..255). */
    public VolumePrompts point(int label, double i, double j, double k, boolean positive) {
        checkLabel(label);
        checkFinite(i, j, k);
        points.add(new Point(label, i, j, k, positive));
        return this;
    }

    /** A box for label 1. */
    public VolumePrompts box(double i0, double j0, double k0, double i1, double j1, double k1) {
        return box(1, i0, j0, k0, i1, j1, k1);
    }

    /**
     * A box for {@code label}: corners with i0 ≤ i1, j0 ≤ j1, k0 ≤ k1.
     *
     * @throws MedsaException for a reversed box
     */
    public VolumePrompts box(int label, double i0, double j0, double k0, double i1, double j1, double k1) {
        checkLabel(label);
        checkFinite(i0, j0, k0);
        checkFinite(i1, j1, k1);
        if (i0 > i1 || j0 > j1 || k0 > k1) {
            throw new MedsaException("box (" + fmt(i0) + "," + fmt(j0) + "," + fmt(k0) + ")-(" + fmt(i1) + "," + fmt(j1) + ","
                    + fmt(k1) + ") is reversed: give i0,j0,k0 <= i1,j1,k1");
        }
        boxes.add(new Box(label, i0, j0, k0, i1, j1, k1));
        return this;
    }

    /**
     * Adds a click written as text, the way the command line and batch manifests give it:
     * "i,j,k,label" on a volume, "x,y,label" on a 2D image (k = 0); label 1 = foreground, 0 =
     * background.
     *
     * @param what names the text's source in messages (e.g. "--point")
     * @throws MedsaException naming {@code what} and the problem
     */
    public VolumePrompts point(String text, boolean volume, String what) {
        double[] d = volume ? numbers(text, 4, what, "30,40,12,1 (i,j,k,label)") : numbers(text, 3, what, "80,35,1 (x,y,label)");
        double label = d[d.length - 1];
        if (label != 0 && label != 1) {
            throw new MedsaException(what + " label must be 1 (foreground) or 0 (background), got '" + text + "'");
        }
        return point(d[0], d[1], volume ? d[2] : 0, label == 1);
    }

    /**
     * Adds a box written as text: "i0,j0,k0,i1,j1,k1" on a volume, "x0,y0,x1,y1" on a 2D image.
     *
     * @param what names the text's source in messages (e.g. "--box")
     * @throws MedsaException naming {@code what} and the problem
     */
    public VolumePrompts box(String text, boolean volume, String what) {
        if (volume) {
            double[] d = numbers(text, 6, what, "10,20,5,40,50,9 (i0,j0,k0,i1,j1,k1)");
            return box(d[0], d[1], d[2], d[3], d[4], d[5]);
        }
        double[] d = numbers(text, 4, what, "20,15,100,70 (x0,y0,x1,y1)");
        return box(d[0], d[1], 0, d[2], d[3], 0);
    }

    /**
     * Adds one tight box per slice (along axis 2) for every slice that holds each of {@code labels}
     * in a reference label map, under that label — evaluation's bbox-1 setting from a reference
     * mask, e.g. to segment a cohort from its existing labels.
     *
     * @param reference labels on the input's grid, i fastest (i + nx·(j + ny·k))
     * @param shape (nx, ny, nz)
     * @return the number of boxes added
     */
    public int boxesPerSlice(int[] reference, int[] shape, java.util.Collection<Integer> labels) {
        int nx = shape[0];
        int ny = shape[1];
        int nz = shape[2];
        int added = 0;
        for (int label : new java.util.TreeSet<>(labels)) {
            for (int k = 0; k < nz; k++) {
                int i0 = Integer.MAX_VALUE, j0 = Integer.MAX_VALUE, i1 = -1, j1 = -1;
                for (int j = 0; j < ny; j++) {
                    for (int i = 0; i < nx; i++) {
                        if (reference[i + nx * (j + ny * k)] == label) {
                            i0 = Math.min(i0, i);
                            i1 = Math.max(i1, i);
                            j0 = Math.min(j0, j);
                            j1 = Math.max(j1, j);
                        }
                    }
                }
                if (i1 >= 0) {
                    box(label, i0, j0, k, i1, j1, k);
                    added++;
                }
            }
        }
        return added;
    }

    /**
     * Exactly {@code n} comma-separated finite numbers.
     *
     * @throws MedsaException naming {@code what}, with {@code example}
     */
    public static double[] numbers(String text, int n, String what, String example) {
        String[] parts = text.split(",");
        if (parts.length != n) {
            throw new MedsaException(what + " expects " + n + " comma-separated numbers here (e.g. " + example + "), got '" + text + "'");
        }
        double[] d = new double[n];
        for (int i = 0; i < n; i++) {
            try {
                d[i] = Double.parseDouble(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new MedsaException(what + ": '" + parts[i].trim() + "' in '" + text + "' is not a number");
            }
            if (!Double.isFinite(d[i])) {
                throw new MedsaException(what + ": '" + text + "' has a non-finite number");
            }
        }
        return d;
    }

    /** The clicks in the order added (read-only). */
    public List<Point> points() {
        return Collections.unmodifiableList(points);
    }

    /** The boxes in the order added (read-only). */
    public List<Box> boxes() {
        return Collections.unmodifiableList(boxes);
    }

    /** True when there is no click and no box. */
    public boolean isEmpty() {
        return points.isEmpty() && boxes.isEmpty();
    }

    private static void checkLabel(int label) {
        if (label < 1 || label > 255) {
            throw new MedsaException("label must be 1..255, got " + label);
        }
    }

    private static void checkFinite(double... v) {
        for (double x : v) {
            if (!Double.isFinite(x)) {
                throw new MedsaException("prompt coordinates must be finite numbers, got " + x);
            }
        }
    }

    static String fmt(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }
}
