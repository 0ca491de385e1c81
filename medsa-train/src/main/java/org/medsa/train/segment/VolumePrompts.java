package org.medsa.train.segment;

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
