package org.medsa.core.modeling.sam2;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.medsa.core.MedsaException;
import org.medsa.core.nn.Linear;
import org.medsa.core.nn.Ops;
import org.medsa.core.nn.Precision;
import org.medsa.core.nn.TorchBlock;

/**
 * Attention with an axial rotary position encoding ({@code RoPEAttention}), the memory
 * attention's self- and cross-attention: q/k/v projections (keys and values from {@code
 * kv_in_dim} channels), each head's channel pairs rotated by angles that grow with the token's
 * column (first half of the pairs) and row (second half), scaled dot-product attention, output
 * projection. In the cross-attention the query grid's rotations repeat over every memory frame of
 * the keys, and the object-pointer tokens at the end of the keys are not rotated. Children {@code
 * q_proj}, {@code k_proj}, {@code v_proj}, {@code out_proj}.
 */
public class RoPEAttention extends TorchBlock {

    private static final NDManager CACHE_OWNER = NDManager.newBaseManager();
    private static final Map<String, NDArray[]> ROTATIONS = new ConcurrentHashMap<>();

    private final int numHeads;
    private final double theta;
    private final boolean repeatForKeys;
    private final Linear qProj;
    private final Linear kProj;
    private final Linear vProj;
    private final Linear outProj;

    /** An attention of width {@code dModel} for {@code cfg} (keys and values of kv_in_dim channels, 0: d_model). */
    public RoPEAttention(int dModel, Sam2Config.RopeAttention cfg) {
        int internal = dModel / cfg.downsampleRate;
        int kvIn = cfg.kvInDim > 0 ? cfg.kvInDim : dModel;
        this.numHeads = cfg.numHeads;
        this.theta = cfg.ropeTheta;
        this.repeatForKeys = cfg.ropeKRepeat;
        this.qProj = child("q_proj", new Linear(dModel, internal));
        this.kProj = child("k_proj", new Linear(kvIn, internal));
        this.vProj = child("v_proj", new Linear(kvIn, internal));
        this.outProj = child("out_proj", new Linear(internal, dModel));
    }

    /**
     * q (B, Nq, d) from an Nq-token square grid, k and v (B, Nk, kv_in_dim) → (B, Nq, d).
     *
     * @param unrotatedKeys keys at the end of k that get no rotation (object pointers)
     */
    public NDArray forward(ParameterStore ps, NDArray q, NDArray k, NDArray v, int unrotatedKeys, boolean training) {
        NDArray qh = separateHeads(qProj.forward(ps, q, training));
        NDArray kh = separateHeads(kProj.forward(ps, k, training));
        long nq = qh.getShape().get(2);
        long nk = kh.getShape().get(2);
        long hd = qh.getShape().get(3);
        qh = rotate(qh, rotations(nq, hd, 1, qh));
        long rotated = nk - unrotatedKeys;
        if (rotated > 0) {
            if (rotated != nq && (!repeatForKeys || rotated % nq != 0)) {
                throw new MedsaException("rotary keys: " + rotated + " keys for a grid of " + nq + " queries");
            }
            NDArray[] rot = rotations(nq, hd, rotated / nq, kh);
            NDArray kr = rotate(unrotatedKeys > 0 ? kh.get(":, :, :" + rotated) : kh, rot);
            kh = unrotatedKeys > 0 ? NDArrays.concat(new NDList(kr, kh.get(":, :, " + rotated + ":")), 2) : kr;
        }
        NDArray out;
        long kvIn = v.getShape().get(2);
        if (kvIn < hd) {
            // narrow memories: attend over the raw values, project after — P·(V·Wᵀ + b) = (P·V)·Wᵀ + b,
            // each head's weights summing to one: a product over kv_in_dim channels instead of the head width
            long b = v.getShape().get(0);
            NDArray pv = Ops.attention(qh, kh, v.expandDims(1)); // (B, H, Nq, kv)
            NDArray w = value(ps, vProj.weight(), pv, training).reshape(numHeads, hd, kvIn).transpose(0, 2, 1); // (H, kv, hd)
            NDArray bias = value(ps, vProj.bias(), pv, training).reshape(1, numHeads, 1, hd);
            out = pv.matMul(w).add(bias);
            assert out.getShape().get(0) == b;
        } else {
            out = Ops.attention(qh, kh, separateHeads(vProj.forward(ps, v, training)));
        }
        long b = out.getShape().get(0);
        return outProj.forward(ps, out.transpose(0, 2, 1, 3).reshape(b, nq, -1), training);
    }

    /**
     * Channel pairs (x₂ᵢ, x₂ᵢ₊₁) of x (B, H, N, hd) rotated: x·C + swap(x)·S with C = (cos, cos)
     * and S = (−sin, sin) per pair and swap(x) = (x₂ᵢ₊₁, x₂ᵢ), i.e. (x₂ᵢ·cos − x₂ᵢ₊₁·sin,
     * x₂ᵢ₊₁·cos + x₂ᵢ·sin) — the products and sums of the complex product the official code takes,
     * rounded the same way, in four passes over x.
     */
    private static NDArray rotate(NDArray x, NDArray[] rot) {
        long[] s = x.getShape().getShape();
        NDArray swapped = x.reshape(s[0], s[1], s[2], s[3] / 2, 2).flip(4).reshape(s);
        return x.mul(rot[0]).add(swapped.mul(rot[1]));
    }

    /**
     * C and S (N·repeats, hd) of the axial angles of an N-token square grid, its rotations repeated
     * {@code repeats} times (one grid per memory frame), as the official {@code compute_axial_cis}
     * computes the angles in float32: pair i &lt; hd/4 turns by column · θ^(−4i/hd), pair hd/4 + i
     * by row · θ^(−4i/hd). Computed once per grid, repeat count, device and type (bfloat16
     * activations get the tables rounded to bfloat16, as autocast would).
     */
    private NDArray[] rotations(long n, long headDim, long repeats, NDArray like) {
        Device device = like.getDevice();
        NDManager manager = like.getManager();
        boolean bf16 = Precision.isBfloat16(like);
        long side = Math.round(Math.sqrt(n));
        if (side * side != n) {
            throw new MedsaException("rotary attention needs a square token grid, got " + n + " tokens");
        }
        String key = n + "|" + headDim + "|" + repeats + "|" + theta + "|" + device + (bf16 ? "|bf16" : "");
        NDArray[] cached = ROTATIONS.computeIfAbsent(key, k -> Ops.noGrad(() -> {
            NDManager owner = CACHE_OWNER.newSubManager(device);
            try (NDManager m = owner.newSubManager()) {
                NDArray angles = axialAngles(m, side, headDim, theta); // (N, hd/2)
                NDArray cos = angles.cos();
                NDArray sin = angles.sin();
                NDArray c = NDArrays.stack(new NDList(cos, cos), -1).reshape(n, headDim);
                NDArray sn = NDArrays.stack(new NDList(sin.neg(), sin), -1).reshape(n, headDim);
                if (repeats > 1) {
                    c = c.tile(new long[] {repeats, 1});
                    sn = sn.tile(new long[] {repeats, 1});
                }
                NDArray[] cs = {Ops.contiguous(c), Ops.contiguous(sn)};
                if (bf16) {
                    cs = new NDArray[] {Precision.cast(cs[0], DataType.BFLOAT16), Precision.cast(cs[1], DataType.BFLOAT16)};
                }
                cs[0].attach(owner);
                cs[1].attach(owner);
                return cs;
            }
        }));
        return new NDArray[] {Ops.viewIn(cached[0], manager), Ops.viewIn(cached[1], manager)};
    }

    /** The angles (N, hd/2): columns times the frequencies, then rows times them. */
    private static NDArray axialAngles(NDManager m, long side, long headDim, double theta) {
        NDArray exponent = Ops.div(m.arange(0, (int) headDim, 4).get(":" + headDim / 4).toType(DataType.FLOAT32, false),
                headDim);
        NDArray freqs = Ops.scalar(exponent, 1).div(Ops.scalar(exponent, theta).pow(exponent)); // (hd/4)
        NDArray t = m.arange(0f, (float) (side * side));
        NDArray tx = t.sub(t.div(side).floor().mul(side));
        NDArray ty = t.div(side).floor();
        NDArray fx = tx.reshape(-1, 1).mul(freqs.reshape(1, -1));
        NDArray fy = ty.reshape(-1, 1).mul(freqs.reshape(1, -1));
        return NDArrays.concat(new NDList(fx, fy), 1);
    }

    private NDArray separateHeads(NDArray x) {
        long b = x.getShape().get(0);
        long n = x.getShape().get(1);
        long c = x.getShape().get(2);
        return x.reshape(b, n, numHeads, c / numHeads).transpose(0, 2, 1, 3);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, in.get(0), in.get(1), in.get(2), 0, training));
    }
}
