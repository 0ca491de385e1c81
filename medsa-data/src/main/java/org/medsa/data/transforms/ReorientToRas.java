package org.medsa.data.transforms;

import org.medsa.data.geometry.Affine;
import org.medsa.data.geometry.Orientation;
import org.medsa.data.volume.Grid;
import org.medsa.data.volume.ImageVolume;
import org.medsa.data.volume.LabelVolume;
import org.medsa.data.volume.VolumePair;

/**
 * Permutes and flips the voxel axes so that i runs to the patient's Right, j to Anterior and k to
 * Superior (canonical RAS, like nibabel's {@code as_closest_canonical} and MONAI's
 * {@code Orientation("RAS")}). Voxel values are only moved, never interpolated; the affine is
 * updated so each voxel keeps its world position. Oblique grids are mapped to their closest axes.
 */
public final class ReorientToRas implements VolumeTransform {

    @Override
    public VolumePair apply(VolumePair volumes) {
        Plan plan = Plan.of(volumes.grid());
        if (plan.identity) {
            return volumes;
        }
        ImageVolume image = new ImageVolume(plan.target, plan.apply(volumes.image().data()));
        LabelVolume label = volumes.hasLabel() ? new LabelVolume(plan.target, plan.apply(volumes.label().data())) : null;
        return new VolumePair(image, label);
    }

    /** Reorients just an image. */
    public static ImageVolume apply(ImageVolume image) {
        Plan plan = Plan.of(image.grid());
        return plan.identity ? image : new ImageVolume(plan.target, plan.apply(image.data()));
    }

    /** Reorients just a label map. */
    public static LabelVolume apply(LabelVolume label) {
        Plan plan = Plan.of(label.grid());
        return plan.identity ? label : new LabelVolume(plan.target, plan.apply(label.data()));
    }

    @Override
    public String cacheKey() {
        return "ReorientToRas";
    }

    /** For output axis w: the source axis, direction, and the resulting grid. */
    private static final class Plan {
        final boolean identity;
        final Grid target;
        final int[] srcShape;
        final long[] stride = new long[3]; // source offset step per output axis (may be negative)
        final long base; // source offset of output voxel (0,0,0)

        private Plan(Grid source) {
            Orientation o = Orientation.of(source.affine());
            srcShape = source.shape();
            int[] srcStride = {1, srcShape[0], srcShape[0] * srcShape[1]};
            int[] outShape = new int[3];
            double[][] p = new double[4][4]; // maps output voxel index to source voxel index
            p[3][3] = 1;
            long b = 0;
            boolean id = true;
            for (int w = 0; w < 3; w++) {
                int v = o.voxelAxisOfWorldAxis(w);
                boolean flip = o.isFlipped(v);
                outShape[w] = srcShape[v];
                if (flip) {
                    stride[w] = -srcStride[v];
                    b += (long) (srcShape[v] - 1) * srcStride[v];
                    p[v][w] = -1;
                    p[v][3] = srcShape[v] - 1;
                } else {
                    stride[w] = srcStride[v];
                    p[v][w] = 1;
                }
                id &= v == w && !flip;
            }
            base = b;
            identity = id;
            Affine a = source.affine().multiply(Affine.of(p));
            target = new Grid(outShape, a);
        }

        static Plan of(Grid g) {
            return new Plan(g);
        }

        /** Source voxel index of every output voxel, in output order. */
        private int[] sourceIndex() {
            int[] index = new int[target.voxelCount()];
            int nx = target.nx(), ny = target.ny(), nz = target.nz();
            int o = 0;
            for (int k = 0; k < nz; k++) {
                for (int j = 0; j < ny; j++) {
                    long s = base + k * stride[2] + j * stride[1];
                    for (int i = 0; i < nx; i++, s += stride[0]) {
                        index[o++] = (int) s;
                    }
                }
            }
            return index;
        }

        float[] apply(float[] src) {
            int[] index = sourceIndex();
            float[] out = new float[index.length];
            for (int o = 0; o < index.length; o++) {
                out[o] = src[index[o]];
            }
            return out;
        }

        int[] apply(int[] src) {
            int[] index = sourceIndex();
            int[] out = new int[index.length];
            for (int o = 0; o < index.length; o++) {
                out[o] = src[index[o]];
            }
            return out;
        }
    }
}
