package org.medsa.inference;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.TreeMap;
import java.util.TreeSet;
import org.medsa.core.MedsaException;
import org.medsa.core.predictor.Prompt;
import org.medsa.data.volume.SliceMasks;

/**
 * Prompts in voxel indices (i, j, k) of the input, per output label: clicks, and boxes that span a
 * range of slices (the same 2D box on every slice from one corner's slice to the other's). See
 * {@link SegmentationInput} for the axes of 2D images. The one owner of prompt checks (finite
 * coordinates, click polarity, output label, box order, inside the input) and of their wording,
 * for the command line, the batch job and the server alike.
 *
 * <p>Two words are kept apart: a click's <em>polarity</em> (positive = foreground) and the output
 * <em>label</em> (1..255) the prompted structure is written with.
 */
public final class VolumePrompts {

    /** A click at voxel (i, j, k) for output {@code label}; positive = foreground. */
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
        Box b = new Box(label, i0, j0, k0, i1, j1, k1);
        if (i0 > i1 || j0 > j1 || k0 > k1) {
            throw new MedsaException("box " + text(b) + " is reversed: give i0,j0,k0 <= i1,j1,k1");
        }
        boxes.add(b);
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
        return point(d[0], d[1], volume ? d[2] : 0, isPositive(d[d.length - 1], what + " '" + text + "'"));
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
    public int boxesPerSlice(int[] reference, int[] shape, Collection<Integer> labels) {
        int nx = shape[0];
        int ny = shape[1];
        int nz = shape[2];
        int added = 0;
        for (int label : new TreeSet<>(labels)) {
            for (int k = 0; k < nz; k++) {
                int offset = nx * ny * k;
                // slice k as rows j, columns i
                SliceMasks.Box b = SliceMasks.tightBox(p -> reference[offset + p] == label, ny, nx);
                if (b != null) {
                    box(label, b.col0(), b.row0(), k, b.col1(), b.row1(), k);
                    added++;
                }
            }
        }
        return added;
    }

    /**
     * Clicks and a box given on one slice, as a viewer sends them: [u, v] are the indices along the
     * slice's two in-plane axes in ascending order (axis 2: u = i, v = j; axis 0: u = j, v = k; a
     * 2D image: u = x, v = y), {@code index} the slice.
     *
     * @param points [u, v, polarity] per click (polarity 1 foreground, 0 background)
     * @param box [u0, v0, u1, v1] (corners included), or null
     * @param label the output label (1..255)
     * @throws MedsaException for a bad polarity, label, number count or a reversed box
     */
    public static VolumePrompts onSlice(int axis, int index, List<double[]> points, double[] box, int label) {
        VolumePrompts out = new VolumePrompts();
        checkLabel(label);
        int first = axis == 0 ? 1 : 0;
        int second = axis == 2 ? 1 : 2;
        for (double[] p : points) {
            if (p.length != 3) {
                throw new MedsaException("a point is [u, v, polarity], got " + p.length + " numbers");
            }
            double[] ijk = new double[3];
            ijk[axis] = index;
            ijk[first] = p[0];
            ijk[second] = p[1];
            out.point(label, ijk[0], ijk[1], ijk[2], isPositive(p[2], "a point's polarity"));
        }
        if (box != null) {
            if (box.length != 4) {
                throw new MedsaException("a box is [u0, v0, u1, v1], got " + box.length + " numbers");
            }
            double[] lo = new double[3];
            double[] hi = new double[3];
            lo[axis] = index;
            hi[axis] = index;
            lo[first] = box[0];
            lo[second] = box[1];
            hi[first] = box[2];
            hi[second] = box[3];
            out.box(label, lo[0], lo[1], lo[2], hi[0], hi[1], hi[2]);
        }
        return out;
    }

    /**
     * The prompts grouped by slice along {@code axis} and by label, as the model's prompts on each
     * slice (x = column, y = row), each checked against the input.
     *
     * @throws MedsaException for a bad axis, a prompt outside the input, or two boxes of one label
     *     on one slice
     */
    public TreeMap<Integer, TreeMap<Integer, Prompt>> bySlice(SegmentationInput input, int axis) {
        input.checkAxis(axis);
        int[] shape = input.shape();
        int row = input.rowAxis(axis);
        int col = input.colAxis(axis);
        TreeMap<Integer, TreeMap<Integer, Prompt>> plan = new TreeMap<>();
        for (Point p : points) {
            double[] ijk = {p.i(), p.j(), p.k()};
            checkInside(ijk, shape, "point (" + fmt(p.i()) + "," + fmt(p.j()) + "," + fmt(p.k()) + ")");
            int s = (int) Math.round(ijk[axis]);
            plan.computeIfAbsent(s, k -> new TreeMap<>()).computeIfAbsent(p.label(), k -> new Prompt())
                    .point(ijk[col], ijk[row], p.positive() ? 1 : 0);
        }
        for (Box b : boxes) {
            double[] lo = {b.i0(), b.j0(), b.k0()};
            double[] hi = {b.i1(), b.j1(), b.k1()};
            String what = "box " + text(b);
            checkInside(lo, shape, what);
            checkInside(hi, shape, what);
            for (int s = (int) Math.round(lo[axis]); s <= (int) Math.round(hi[axis]); s++) {
                Prompt pr = plan.computeIfAbsent(s, k -> new TreeMap<>()).computeIfAbsent(b.label(), k -> new Prompt());
                if (pr.box() != null) {
                    throw new MedsaException("two boxes of label " + b.label() + " cover slice " + s + "; give one box per slice"
                            + " and label");
                }
                pr.box(lo[col], lo[row], hi[col], hi[row]);
            }
        }
        int[] hw = input.sliceShape(axis);
        for (var slice : plan.entrySet()) {
            for (Prompt p : slice.getValue().values()) {
                p.validate(hw[0], hw[1]);
            }
        }
        return plan;
    }

    private static void checkInside(double[] ijk, int[] shape, String what) {
        for (int a = 0; a < 3; a++) {
            if (ijk[a] < 0 || ijk[a] > shape[a] - 1) {
                throw new MedsaException("prompt outside the image: " + what + " is not within " + shape[0] + "x" + shape[1]
                        + "x" + shape[2] + " voxels (indices start at 0)");
            }
        }
    }

    /**
     * A click's polarity: 1 is foreground (true), 0 background (false).
     *
     * @param what names the value in the message
     * @throws MedsaException for anything else
     */
    public static boolean isPositive(double polarity, String what) {
        if (polarity != 0 && polarity != 1) {
            throw new MedsaException(what + " must be 1 (foreground) or 0 (background), got " + fmt(polarity));
        }
        return polarity == 1;
    }

    /**
     * Exactly {@code n} comma-separated finite numbers.
     *
     * @throws MedsaException naming {@code what}, with {@code example}
     */
    public static double[] numbers(String text, int n, String what, String example) {
        String[] parts = text.split(",");
        if (parts.length != n) {
            throw new MedsaException(what + " expects " + n + " comma-separated numbers here (e.g. " + example + "), got '"
                    + text + "'");
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

    /**
     * Checks an output label.
     *
     * @throws MedsaException unless it is 1..255
     */
    public static void checkLabel(int label) {
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

    /** "(i0,j0,k0)-(i1,j1,k1)". */
    static String text(Box b) {
        return "(" + fmt(b.i0()) + "," + fmt(b.j0()) + "," + fmt(b.k0()) + ")-(" + fmt(b.i1()) + "," + fmt(b.j1()) + ","
                + fmt(b.k1()) + ")";
    }

    /** A coordinate as written: whole numbers without ".0". */
    static String fmt(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.valueOf(v);
    }
}
