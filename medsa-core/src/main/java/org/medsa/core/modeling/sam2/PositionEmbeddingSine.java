package org.medsa.core.modeling.sam2;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.medsa.core.nn.Ops;

/**
 * SAM 2's sine positional encoding of a feature map (the "Attention Is All You Need" encoding in
 * two dimensions, {@code PositionEmbeddingSine}): per pixel, the y half then the x half, each
 * alternating sin and cos of the normalised position over geometric frequencies. It has no
 * weights; the encoding of each map size is computed once per device, in float32 with the same
 * operations as the official code, and shared.
 */
public final class PositionEmbeddingSine {

    private static final NDManager CACHE_OWNER = NDManager.newBaseManager();
    private static final Map<String, NDArray> CACHE = new ConcurrentHashMap<>();

    private final int halfFeats;
    private final double temperature;
    private final boolean normalize;
    private final double scale;

    /** An encoding of {@code cfg.num_pos_feats} channels. */
    public PositionEmbeddingSine(Sam2Config.SinePositions cfg) {
        if (cfg.numPosFeats % 2 != 0) {
            throw new IllegalArgumentException("the sine encoding needs an even number of channels, got " + cfg.numPosFeats);
        }
        this.halfFeats = cfg.numPosFeats / 2;
        this.temperature = cfg.temperature;
        this.normalize = cfg.normalize;
        this.scale = cfg.scale == null ? 2 * Math.PI : cfg.scale;
    }

    /** The (1, C, h, w) encoding of an h × w map, a view owned by {@code manager}, on {@code device}. */
    public NDArray encode(int h, int w, Device device, NDManager manager) {
        String key = halfFeats + "|" + temperature + "|" + normalize + "|" + scale + "|" + h + "x" + w + "|" + device;
        NDArray pe = CACHE.computeIfAbsent(key, k -> Ops.noGrad(() -> compute(h, w, device)));
        return Ops.viewIn(pe, manager);
    }

    private NDArray compute(int h, int w, Device device) {
        NDManager owner = CACHE_OWNER.newSubManager(device);
        try (NDManager m = owner.newSubManager()) {
            NDArray pe = compute(m, h, w);
            pe.attach(owner);
            return pe;
        }
    }

    private NDArray compute(NDManager m, int h, int w) {
        NDArray y = m.arange(1f, h + 1f).reshape(h, 1).broadcast(h, w);
        NDArray x = m.arange(1f, w + 1f).reshape(1, w).broadcast(h, w);
        if (normalize) {
            float eps = 1e-6f;
            y = Ops.mul(Ops.div(y, (float) h + eps), scale);
            x = Ops.mul(Ops.div(x, (float) w + eps), scale);
        }
        // dim_t = temperature ** (2 * (i // 2) / half)
        NDArray dim = m.arange(0f, (float) halfFeats);
        NDArray exponent = Ops.div(Ops.mul(dim.div(2).floor(), 2), halfFeats);
        NDArray dimT = Ops.scalar(exponent, temperature).pow(exponent);
        NDArray py = interleave(y.expandDims(-1).div(dimT));
        NDArray px = interleave(x.expandDims(-1).div(dimT));
        return NDArrays.concat(new NDList(py, px), -1).transpose(2, 0, 1).expandDims(0).toType(DataType.FLOAT32, false);
    }

    /** (h, w, n) → sin of the even channels and cos of the odd ones, interleaved. */
    private NDArray interleave(NDArray p) {
        long h = p.getShape().get(0);
        long w = p.getShape().get(1);
        return NDArrays.stack(new NDList(p.get("..., 0::2").sin(), p.get("..., 1::2").cos()), -1).reshape(h, w, halfFeats);
    }
}
