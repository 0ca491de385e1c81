package org.medsa.core.modeling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.medsa.core.nn.Inits;
import org.medsa.core.nn.Linear;
import org.medsa.core.nn.Ops;
import org.medsa.core.nn.Precision;
import org.medsa.core.nn.TorchBlock;

/**
 * Multi-head self-attention of the ViT encoder, over (N, h, w, C) token grids, with MViTv2's
 * decomposed relative position bias (docs/model.md, "Image encoder"). Children {@code qkv}, {@code proj}; tables
 * {@code rel_pos_h}/{@code rel_pos_w} of shape (2S−1, head_dim).
 */
public class EncoderAttention extends TorchBlock {

    private final int numHeads;
    private final long headDim;
    private final double scale;
    private final Linear qkv;
    private final Linear proj;
    private final Parameter relPosH;
    private final Parameter relPosW;
    private long scoreBandBytes = SCORE_BAND_BYTES;

    /**
     * @param inputSize side of the token grid the tables are made for (window size or grid)
     * @param relNames the table names: {"rel_pos_h", "rel_pos_w"} in SAM, {"rel_h", "rel_w"} in
     *     the official Med-SA code; null when relative positions are off
     */
    public EncoderAttention(long dim, int numHeads, boolean qkvBias, int inputSize, String[] relNames) {
        this.numHeads = numHeads;
        this.headDim = dim / numHeads;
        this.scale = Math.pow(headDim, -0.5);
        this.qkv = child("qkv", new Linear(dim, dim * 3, qkvBias));
        this.proj = child("proj", new Linear(dim, dim));
        if (relNames != null) {
            Shape table = new Shape(2L * inputSize - 1, headDim);
            relPosH = param(relNames[0], table, Inits.zeros());
            relPosW = param(relNames[1], table, Inits.zeros());
        } else {
            relPosH = null;
            relPosW = null;
        }
    }

    /** The fused (dim → 3·dim) query/key/value projection. */
    public Linear qkv() {
        return qkv;
    }

    /** The output projection (dim → dim). */
    public Linear proj() {
        return proj;
    }

    /** x: (N, h, w, C) → (N, h, w, C). */
    public NDArray forward(ParameterStore ps, NDArray x, boolean training) {
        return forward(ps, x, training, true);
    }

    /** As above; {@code relPos} false leaves the relative position bias out (1-D sequences). */
    public NDArray forward(ParameterStore ps, NDArray x, boolean training, boolean relPos) {
        Shape s = x.getShape();
        long n = s.get(0);
        long h = s.get(1);
        long w = s.get(2);
        long tokens = h * w;
        // (N, hw, 3, heads, hd) -> (3, N*heads, hw, hd)
        NDArray qkvOut = qkv.forward(ps, x, training)
                .reshape(n, tokens, 3, numHeads, headDim)
                .transpose(2, 0, 3, 1, 4)
                .reshape(3, n * numHeads, tokens, headDim);
        NDArray q = qkvOut.get(0);
        NDArray k = qkvOut.get(1);
        NDArray v = qkvOut.get(2);
        NDArray out;
        if (relPos && relPosH != null) {
            out = relPosAttention(q, k, v, value(ps, relPosH, x, training), value(ps, relPosW, x, training), h, w);
        } else {
            out = Precision.softmax(Ops.mul(q, scale).matMul(k.transpose(0, 2, 1)), -1).matMul(v);
        }
        out = out.reshape(n, numHeads, h, w, headDim)
                .transpose(0, 2, 3, 1, 4)
                .reshape(n, h, w, numHeads * headDim);
        return proj.forward(ps, out, training);
    }

    /**
     * softmax(scale·q·kᵀ + rel-pos bias)·v for q, k, v of (B·heads, h·w, hd), computed for a band
     * of query rows at a time so the (h·w)² score matrix never exists whole: a global ViT-B block
     * would otherwise write and read 4 × 805 MB per forward (scores, two bias sums, softmax) far
     * outside any cache. Each band's scores stay near {@link #SCORE_BAND_BYTES}; docs/performance.md
     * has the forward times measured with other band sizes and without bands.
     */
    NDArray relPosAttention(NDArray q, NDArray k, NDArray v, NDArray tableH, NDArray tableW, long h, long w) {
        long b = q.getShape().get(0);
        long tokens = h * w;
        long rows = b == 0 ? h : Math.max(1, Math.min(h, scoreBandBytes / (b * w * tokens * 4)));
        NDArray[] rel = relPosTerms(q, tableH, tableW, h, w); // (B, h, w, h), (B, h, w, w)
        NDArray qs = Ops.mul(q, scale);
        NDArray transposed = k.transpose(0, 2, 1);
        // the engine's bfloat16 matmul copies a transposed operand on every call: copy it once
        NDArray kt = Precision.isBfloat16(k) ? transposed.reshape(-1).reshape(transposed.getShape()) : transposed;
        NDList bands = new NDList();
        for (long y0 = 0; y0 < h; y0 += rows) {
            long r = Math.min(rows, h - y0);
            String tokenRange = ":, " + y0 * w + ":" + (y0 + r) * w;
            String rowRange = ":, " + y0 + ":" + (y0 + r);
            bands.add(Ops.scoped(qs, qv -> {
                NDArray relH = rel[0].get(rowRange);
                NDArray relW = rel[1].get(rowRange);
                relH.attach(qv.getManager()); // the band's slices die with the band
                relW.attach(qv.getManager());
                return Precision.softmax(qv.get(tokenRange).matMul(kt)
                        .reshape(b, r, w, h, w)
                        .add(relH.reshape(b, r, w, h, 1))
                        .add(relW.reshape(b, r, w, 1, w))
                        .reshape(b, r * w, tokens), -1)
                        .matMul(v);
            }));
        }
        if (bands.size() == 1) {
            return bands.get(0); // the scores fitted in one band (window blocks, small grids)
        }
        NDArray out = NDArrays.concat(bands, 1);
        bands.close(); // autograd keeps its own references to what the backward needs
        return out;
    }

    /** Target size of one band of attention scores (see {@link #relPosAttention}). */
    static final long SCORE_BAND_BYTES = 16L << 20;

    /**
     * Sets the target size of one band of attention scores (default {@link #SCORE_BAND_BYTES});
     * results do not depend on it. Smaller bands use less memory and more calls.
     */
    public void scoreBandBytes(long bytes) {
        this.scoreBandBytes = bytes;
    }

    /**
     * The decomposed relative position terms for unscaled q (B, h·w, hd): ⟨q, R_h[y − y′ + S − 1]⟩
     * as (B, h, w, h) and ⟨q, R_w[x − x′ + S − 1]⟩ as (B, h, w, w).
     */
    static NDArray[] relPosTerms(NDArray q, NDArray tableH, NDArray tableW, long h, long w) {
        NDArray rh = relPosTable(h, tableH); // (h, h, hd)
        NDArray rw = relPosTable(w, tableW); // (w, w, hd)
        long b = q.getShape().get(0);
        long hd = q.getShape().get(2);
        NDArray rq = q.reshape(b, h, w, hd);
        // einsum("bhwc,hkc->bhwk"): batch over the row index y
        NDArray relH = rq.transpose(1, 0, 2, 3).reshape(h, b * w, hd)
                .matMul(rh.transpose(0, 2, 1))
                .reshape(h, b, w, h)
                .transpose(1, 0, 2, 3);
        // einsum("bhwc,wkc->bhwk"): batch over the column index x
        NDArray relW = rq.transpose(2, 0, 1, 3).reshape(w, b * h, hd)
                .matMul(rw.transpose(0, 2, 1))
                .reshape(w, b, h, w)
                .transpose(1, 2, 0, 3);
        return new NDArray[] {relH, relW};
    }

    /**
     * SAM's get_rel_pos for equal query/key sizes: the (size, size, hd) table of R[i − j + size − 1],
     * after linearly resizing R to 2·size − 1 rows if it was made for another size.
     */
    static NDArray relPosTable(long size, NDArray table) {
        long maxDist = 2 * size - 1;
        long len = table.getShape().get(0);
        if (len != maxDist) {
            // F.interpolate(R.reshape(1, L, -1).permute(0, 2, 1), size=maxDist, mode="linear")
            NDArray t = table.reshape(1, len, -1).transpose(0, 2, 1);
            t = Ops.interpolate(t, new long[] {maxDist}, Ops.Mode.LINEAR, false);
            table = t.reshape(-1, maxDist).transpose(1, 0);
        }
        int[] idx = new int[(int) (size * size)];
        for (int i = 0; i < size; i++) {
            for (int j = 0; j < size; j++) {
                idx[(int) (i * size + j)] = (int) (i - j + size - 1);
            }
        }
        NDArray index = table.getManager().create(idx).toType(DataType.INT64, false); // table is a view in the caller's scope
        if (!index.getDevice().equals(table.getDevice())) {
            index = index.toDevice(table.getDevice(), false);
        }
        return table.get(index).reshape(size, size, -1);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, inputs.singletonOrThrow(), training));
    }
}
