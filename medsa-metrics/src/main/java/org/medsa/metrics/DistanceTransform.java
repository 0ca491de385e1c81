package org.medsa.metrics;

import java.util.stream.IntStream;

/**
 * Exact Euclidean distance transform with anisotropic voxel spacing.
 *
 * <p>For every voxel it gives the squared Euclidean distance, in squared spacing units (mm² for a
 * spacing in mm), to the nearest "site" voxel. It is separable: the 1D transform (the lower
 * envelope of parabolas of Felzenszwalb and Huttenlocher, "Distance Transforms of Sampled
 * Functions", 2012) is applied along each axis in turn, which is exact because the squared
 * distance is a sum of independent per-axis terms. Cost is O(voxels · rank).
 *
 * <p>Volumes of a million voxels or more are transformed on the common fork-join pool's threads;
 * each line gets the same arithmetic either way, so the result does not depend on it.
 */
public final class DistanceTransform {

    /** Volumes with at least this many voxels are transformed on several threads. */
    private static final int PARALLEL_THRESHOLD = 1 << 20;

    private DistanceTransform() {}

    /**
     * Squared distance from each voxel to the nearest voxel where {@code sites} is true.
     *
     * @param sites   the target voxels, row-major (C order)
     * @param shape   the array's shape (any rank of at least 1)
     * @param spacing voxel size along each axis of {@code shape} (same order), finite and positive
     * @return a new array; 0 at sites, {@link Double#POSITIVE_INFINITY} everywhere when there is no site
     */
    public static double[] squaredEuclidean(boolean[] sites, int[] shape, double[] spacing) {
        int n = Grids.checkShape(shape, sites.length, "sites");
        Grids.checkSpacing(spacing, shape.length);
        double[] out = new double[n];
        squaredEuclideanInto(sites, shape, spacing, out);
        return out;
    }

    /** As {@link #squaredEuclidean} into {@code out} (unchecked; lets callers reuse one buffer). */
    static void squaredEuclideanInto(boolean[] sites, int[] shape, double[] spacing, double[] out) {
        squaredEuclideanInto(sites, shape, spacing, out, out.length >= PARALLEL_THRESHOLD);
    }

    /** The transform, on several threads or on the caller's only (tests compare the two). */
    static void squaredEuclideanInto(boolean[] sites, int[] shape, double[] spacing, double[] out, boolean parallel) {
        for (int i = 0; i < out.length; i++) {
            out[i] = sites[i] ? 0.0 : Double.POSITIVE_INFINITY;
        }
        int[] strides = Grids.strides(shape);
        for (int axis = 0; axis < shape.length; axis++) {
            int length = shape[axis];
            int stride = strides[axis];
            double axisSpacing = spacing[axis];
            int lines = out.length / length;
            // Lines are independent, so large volumes split them across the common pool's threads;
            // every line gets the same arithmetic either way, so the result does not depend on it.
            int chunks = parallel ? Math.min(lines, 64) : 1;
            IntStream chunkIds = IntStream.range(0, chunks);
            (chunks > 1 ? chunkIds.parallel() : chunkIds).forEach(chunk -> {
                Envelope envelope = new Envelope(length);
                int first = (int) ((long) lines * chunk / chunks);
                int last = (int) ((long) lines * (chunk + 1) / chunks);
                for (int line = first; line < last; line++) {
                    // line = outer · stride + inner, where the line starts at outer · (length · stride) + inner
                    int start = (line / stride) * (length * stride) + line % stride;
                    envelope.transformLine(out, start, stride, length, axisSpacing);
                }
            });
        }
    }

    /** Work arrays for the 1D transform of one line, reused across lines. */
    private static final class Envelope {
        private final double[] values;    // the line's input f
        private final double[] heights;   // f(q) + x(q)², the part of a parabola that does not depend on p
        private final int[] parabolaSite; // sites whose parabolas form the lower envelope, left to right
        private final double[] boundary;  // boundary[k]: abscissa where parabola k starts to be the lowest

        Envelope(int maxLength) {
            values = new double[maxLength];
            heights = new double[maxLength];
            parabolaSite = new int[maxLength];
            boundary = new double[maxLength + 1];
        }

        /**
         * Replaces f along one line by d(p) = min_q (spacing·(p − q))² + f(q). Infinite inputs are
         * skipped as sites: they can never be a minimum, and leaving them out keeps the parabola
         * intersections finite.
         */
        void transformLine(double[] data, int start, int stride, int length, double spacing) {
            for (int p = 0; p < length; p++) {
                values[p] = data[start + p * stride];
            }
            int top = -1; // index of the last parabola of the envelope
            for (int q = 0; q < length; q++) {
                double fq = values[q];
                if (fq == Double.POSITIVE_INFINITY) {
                    continue;
                }
                double xq = q * spacing;
                double heightQ = fq + xq * xq;
                heights[q] = heightQ;
                double meet = Double.NEGATIVE_INFINITY;
                while (top >= 0) {
                    int v = parabolaSite[top];
                    // the parabolas of v and q are equal at x = (heightQ - height(v)) / (2 (xq - xv));
                    // compare without dividing (the denominator is positive) until q's parabola is kept
                    double numerator = heightQ - heights[v];
                    double denominator = 2 * (xq - v * spacing);
                    if (numerator > boundary[top] * denominator) {
                        meet = numerator / denominator;
                        break;
                    }
                    top--; // parabola v is nowhere the lowest any more
                }
                top++;
                parabolaSite[top] = q;
                boundary[top] = meet;
            }
            if (top < 0) {
                return; // no site on this line: it stays infinite
            }
            boundary[top + 1] = Double.POSITIVE_INFINITY;
            int k = 0;
            for (int p = 0; p < length; p++) {
                double xp = p * spacing;
                while (boundary[k + 1] < xp) {
                    k++;
                }
                int q = parabolaSite[k];
                // the offset is taken in whole voxels first so that the term is exactly (s·Δ)²
                double axisOffset = spacing * (p - q);
                data[start + p * stride] = axisOffset * axisOffset + values[q];
            }
        }
    }
}
