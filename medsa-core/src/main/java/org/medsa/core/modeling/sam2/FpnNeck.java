package org.medsa.core.modeling.sam2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.medsa.core.nn.Conv2d;
import org.medsa.core.nn.ModuleList;
import org.medsa.core.nn.Ops;
import org.medsa.core.nn.TorchBlock;

/**
 * SAM 2's feature pyramid ({@code FpnNeck}): a 1×1 lateral convolution per trunk level to d_model
 * channels ({@code convs.i.conv}, lowest resolution first), and top-down paths into the levels
 * listed in {@code fpn_top_down_levels}: the coarser level's output upsampled 2× and added. The
 * other levels keep their lateral features.
 */
public class FpnNeck extends TorchBlock {

    private final Sam2Config.Neck cfg;
    private final ModuleList<ConvHolder> convs;

    /** {@code nn.Sequential} with one child {@code conv}, as the official neck nests each lateral convolution. */
    public static final class ConvHolder extends TorchBlock {
        private final Conv2d conv;

        ConvHolder(long in, long out) {
            this.conv = child("conv", new Conv2d(in, out, 1, 1, 0, true));
        }

        NDArray forward(ParameterStore ps, NDArray x, boolean training) {
            return conv.forward(ps, x, training);
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
            return new NDList(forward(ps, inputs.singletonOrThrow(), training));
        }
    }

    /** The neck for {@code cfg}. */
    public FpnNeck(Sam2Config.Neck cfg) {
        this.cfg = cfg;
        this.convs = child("convs", new ModuleList<>());
        for (int dim : cfg.backboneChannelList) {
            convs.add(new ConvHolder(dim, cfg.dModel));
        }
    }

    /** Trunk levels (highest resolution first) → neck levels, same order, d_model channels each. */
    public List<NDArray> forward(ParameterStore ps, List<NDArray> xs, boolean training) {
        int n = convs.size() - 1;
        if (xs.size() != convs.size()) {
            throw new IllegalArgumentException("the neck takes " + convs.size() + " levels, got " + xs.size());
        }
        NDArray[] out = new NDArray[convs.size()];
        NDArray prev = null;
        for (int i = n; i >= 0; i--) {
            NDArray lateral = convs.get(n - i).forward(ps, xs.get(i), training);
            boolean topDown = prev != null && contains(cfg.fpnTopDownLevels, i);
            if (topDown) {
                long[] size = {prev.getShape().get(2) * 2, prev.getShape().get(3) * 2};
                NDArray up = Ops.interpolate(prev, size, mode(), false);
                prev = lateral.add(up);
                if ("avg".equals(cfg.fuseType)) {
                    prev = Ops.div(prev, 2);
                }
            } else {
                prev = lateral;
            }
            out[i] = prev;
        }
        return new ArrayList<>(Arrays.asList(out));
    }

    private Ops.Mode mode() {
        switch (cfg.fpnInterpModel) {
            case "bilinear":
                return Ops.Mode.BILINEAR;
            case "bicubic":
                return Ops.Mode.BICUBIC;
            default:
                return Ops.Mode.NEAREST;
        }
    }

    private static boolean contains(int[] values, int v) {
        for (int x : values) {
            if (x == v) {
                return true;
            }
        }
        return false;
    }

    /** The neck's arguments. */
    public Sam2Config.Neck config() {
        return cfg;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, inputs, training));
    }
}
