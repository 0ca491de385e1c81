package org.medsa.metrics;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A deliberately naive, independent implementation of the surface metrics for the tests: surfaces
 * by the literal erosion definition, explicit O(n·m) surface-to-surface distances and a sort-based
 * percentile. Shares no code with the production classes.
 */
final class ReferenceMetrics {

    private ReferenceMetrics() {}

    static int[] coordinates(int index, int[] shape) {
        int[] c = new int[shape.length];
        for (int axis = shape.length - 1; axis >= 0; axis--) {
            c[axis] = index % shape[axis];
            index /= shape[axis];
        }
        return c;
    }

    static int index(int[] c, int[] shape) {
        int index = 0;
        for (int axis = 0; axis < shape.length; axis++) {
            index = index * shape[axis] + c[axis];
        }
        return index;
    }

    /** mask XOR erode(mask, cross), where a structuring element reaching outside the array sees background. */
    static boolean[] surface(boolean[] mask, int[] shape) {
        boolean[] eroded = new boolean[mask.length];
        for (int i = 0; i < mask.length; i++) {
            boolean keep = mask[i];
            int[] c = coordinates(i, shape);
            for (int axis = 0; axis < shape.length && keep; axis++) {
                for (int step = -1; step <= 1; step += 2) {
                    int[] nb = c.clone();
                    nb[axis] += step;
                    boolean inside = nb[axis] >= 0 && nb[axis] < shape[axis];
                    if (!inside || !mask[index(nb, shape)]) {
                        keep = false;
                    }
                }
            }
            eroded[i] = keep;
        }
        boolean[] surface = new boolean[mask.length];
        for (int i = 0; i < mask.length; i++) {
            surface[i] = mask[i] ^ eroded[i];
        }
        return surface;
    }

    static List<int[]> points(boolean[] mask, int[] shape) {
        List<int[]> points = new ArrayList<>();
        for (int i = 0; i < mask.length; i++) {
            if (mask[i]) {
                points.add(coordinates(i, shape));
            }
        }
        return points;
    }

    static double distance(int[] a, int[] b, double[] spacing) {
        double sum = 0;
        for (int axis = 0; axis < a.length; axis++) {
            double d = spacing[axis] * (a[axis] - b[axis]);
            sum += d * d;
        }
        return Math.sqrt(sum);
    }

    /** For every surface voxel of {@code from}, the distance to the nearest surface voxel of {@code to}; sorted. */
    static double[] directed(boolean[] from, boolean[] to, int[] shape, double[] spacing) {
        List<int[]> a = points(surface(from, shape), shape);
        List<int[]> b = points(surface(to, shape), shape);
        double[] out = new double[a.size()];
        for (int i = 0; i < a.size(); i++) {
            double best = Double.POSITIVE_INFINITY;
            for (int[] q : b) {
                best = Math.min(best, distance(a.get(i), q, spacing));
            }
            out[i] = best;
        }
        Arrays.sort(out);
        return out;
    }

    /** numpy.percentile(x, p) with the default linear method, from its textbook definition. */
    static double percentile(double[] values, double p) {
        double[] x = values.clone();
        Arrays.sort(x);
        double h = (x.length - 1) * p / 100.0;
        int lo = (int) Math.floor(h);
        int hi = (int) Math.ceil(h);
        return x[lo] + (h - lo) * (x[hi] - x[lo]);
    }

    static boolean any(boolean[] m) {
        for (boolean b : m) {
            if (b) {
                return true;
            }
        }
        return false;
    }

    static double hd(boolean[] pred, boolean[] truth, int[] shape, double[] spacing, double p) {
        if (!any(pred) || !any(truth)) {
            return Double.NaN;
        }
        return Math.max(percentile(directed(pred, truth, shape, spacing), p),
                percentile(directed(truth, pred, shape, spacing), p));
    }

    static double nsd(boolean[] pred, boolean[] truth, int[] shape, double[] spacing, double tolerance) {
        boolean a = any(pred);
        boolean b = any(truth);
        if (!a && !b) {
            return 1.0;
        }
        if (!a || !b) {
            return 0.0;
        }
        double[] ab = directed(pred, truth, shape, spacing);
        double[] ba = directed(truth, pred, shape, spacing);
        int within = 0;
        for (double d : ab) {
            within += d <= tolerance ? 1 : 0;
        }
        for (double d : ba) {
            within += d <= tolerance ? 1 : 0;
        }
        return within / (double) (ab.length + ba.length);
    }

    static double asd(boolean[] pred, boolean[] truth, int[] shape, double[] spacing) {
        if (!any(pred) || !any(truth)) {
            return Double.NaN;
        }
        double[] ab = directed(pred, truth, shape, spacing);
        double[] ba = directed(truth, pred, shape, spacing);
        return (Arrays.stream(ab).sum() + Arrays.stream(ba).sum()) / (ab.length + ba.length);
    }
}
