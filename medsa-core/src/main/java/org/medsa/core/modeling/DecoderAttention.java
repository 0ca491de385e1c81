package org.medsa.core.modeling;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import ai.djl.util.PairList;
import org.medsa.core.nn.Linear;
import org.medsa.core.nn.Ops;
import org.medsa.core.nn.TorchBlock;

/**
 * The two-way transformer's attention: q/k/v projections to embedding_dim / downsample_rate,
 * heads, softmax(q·kᵀ/√d)·v, output projection. Children {@code q_proj}, {@code k_proj},
 * {@code v_proj}, {@code out_proj}.
 */
public class DecoderAttention extends TorchBlock {

    /**
     * Where the projections are applied (results are equal up to float rounding). A prepared image
     * side ({@link #projectKeys}, {@link #projectQueries}) always projects the image tokens, once.
     */
    public enum Order {
        /** The cheaper order for the token counts of each call (the default). */
        AUTO,
        /** SAM's order: project q, k, v and the output. */
        PROJECT_ALL,
        /** Always through the side with fewer tokens ({@link #fewQueries} or {@link #fewKeys}). */
        FEW_TOKEN_SIDE
    }

    private final int numHeads;
    private Order order = Order.AUTO;
    private final Linear qProj;
    private final Linear kProj;
    private final Linear vProj;
    private final Linear outProj;

    /**
     * Attention of width {@code embeddingDim} with {@code numHeads} heads, computed at {@code
     * embeddingDim / downsampleRate}.
     */
    public DecoderAttention(int embeddingDim, int numHeads, int downsampleRate) {
        int internal = embeddingDim / downsampleRate;
        this.numHeads = numHeads;
        this.qProj = child("q_proj", new Linear(embeddingDim, internal));
        this.kProj = child("k_proj", new Linear(embeddingDim, internal));
        this.vProj = child("v_proj", new Linear(embeddingDim, internal));
        this.outProj = child("out_proj", new Linear(internal, embeddingDim));
    }

    /**
     * q (B, Nq, C), k and v (B, Nk, C) → (B, Nq, C). Batch 1 broadcasts against batch B.
     *
     * <p>The decoder's cross-attentions join a handful of prompt tokens with thousands of image
     * tokens. Projecting the thousands (k and v of token→image, q and the output of
     * image→token) costs Nk·C·C/r multiply-adds each; moving the projection to the few-token side
     * costs heads·Nfew·Nk·C. When that is less, {@link #fewQueries} or {@link #fewKeys} computes
     * the same attention in that order (equal up to float rounding).
     */
    public NDArray forward(ParameterStore ps, NDArray q, NDArray k, NDArray v, boolean training) {
        Path path = path(q, k);
        if (path == Path.FEW_QUERIES) {
            return fewQueries(ps, q, k, v, training);
        }
        if (path == Path.FEW_KEYS) {
            return fewKeys(ps, q, k, v, training);
        }
        return forward(ps, q, projectKeys(ps, k, v, training), training);
    }

    /**
     * {@code residual + forward(q, k, v)}. In the many-query order the sum comes out of the last
     * product (one multiply-add into the residual with batch 1), saving a pass over the image tokens.
     */
    public NDArray forwardResidual(ParameterStore ps, NDArray residual, NDArray q, NDArray k, NDArray v, boolean training) {
        if (path(q, k) == Path.FEW_KEYS) {
            return plusProduct(residual, fewKeysFactors(ps, q, k, v, training));
        }
        return residual.add(forward(ps, q, k, v, training));
    }

    /**
     * Keys and values projected for {@link #forward(ParameterStore, NDArray, ProjectedKeys,
     * boolean)}: per call in SAM's order, or once for any number of query sets in the decoder's
     * first token→image attention, whose keys and values are the image alone, the same for every
     * prompt. {@code keysT} (B, H, d, Nk) already divided by √d, {@code values}
     * (B, H, Nk, d) with b_v; both row-major.
     */
    public record ProjectedKeys(NDArray keysT, NDArray values) {
        /** The same arrays as views owned by {@code manager} (see {@link Ops#viewIn}). */
        public ProjectedKeys viewIn(NDManager manager) {
            return new ProjectedKeys(Ops.viewIn(keysT, manager), Ops.viewIn(values, manager));
        }
    }

    /**
     * Projects keys {@code k} and values {@code v} (B, Nk, C) for {@link #forward(ParameterStore, NDArray, ProjectedKeys,
     * boolean)}.
     */
    public ProjectedKeys projectKeys(ParameterStore ps, NDArray k, NDArray v, boolean training) {
        NDArray kh = separateHeads(kProj.forward(ps, k, training)); // (B, H, Nk, d)
        double scale = 1 / Math.sqrt(kh.getShape().get(3));
        return new ProjectedKeys(Ops.contiguous(Ops.mul(kh, scale).transpose(0, 1, 3, 2)),
                Ops.contiguous(separateHeads(vProj.forward(ps, v, training))));
    }

    /**
     * The attention of q (B, Nq, C) over keys and values projected by {@link #projectKeys}, in
     * SAM's order: equal to {@code forward(q, k, v)} up to float rounding, and the products over
     * the keys are only Nq·Nk·C/r long each.
     */
    public NDArray forward(ParameterStore ps, NDArray q, ProjectedKeys kv, boolean training) {
        NDArray qh = separateHeads(qProj.forward(ps, q, training)); // (B, H, Nq, d)
        NDArray out = qh.matMul(kv.keysT()).softmax(-1).matMul(kv.values()); // (B, H, Nq, d)
        long b = out.getShape().get(0);
        long n = out.getShape().get(2);
        return outProj.forward(ps, out.transpose(0, 2, 1, 3).reshape(b, n, -1), training);
    }

    /**
     * Queries projected once (with b_q), to attend to any number of key sets later: the decoder's
     * first image→token attention, whose queries are the image alone. {@code queriesT}
     * (B, H, d, Nq), row-major.
     */
    public record ProjectedQueries(NDArray queriesT) {
        /** The same array as a view owned by {@code manager} (see {@link Ops#viewIn}). */
        public ProjectedQueries viewIn(NDManager manager) {
            return new ProjectedQueries(Ops.viewIn(queriesT, manager));
        }
    }

    /**
     * Projects queries {@code q} (B, Nq, C) for {@link #forwardResidual(ParameterStore, NDArray, ProjectedQueries, NDArray,
     * NDArray, boolean)}.
     */
    public ProjectedQueries projectQueries(ParameterStore ps, NDArray q, boolean training) {
        return new ProjectedQueries(Ops.contiguous(separateHeads(qProj.forward(ps, q, training)).transpose(0, 1, 3, 2)));
    }

    /**
     * {@code residual + forward(q, k, v)} for queries projected by {@link #projectQueries}: the
     * scores come key-major from the few keys' projections and the output projection is folded
     * into the values as in {@link #fewKeys}, so the many queries meet one product of length
     * H·Nk·d and one of H·Nk·C.
     */
    public NDArray forwardResidual(ParameterStore ps, NDArray residual, ProjectedQueries q, NDArray k, NDArray v,
            boolean training) {
        NDArray kh = separateHeads(kProj.forward(ps, k, training)); // (B, H, Nk, d)
        NDArray scoresT = Ops.div(kh, Math.sqrt(kh.getShape().get(3))).matMul(q.queriesT()); // (B, H, Nk, Nq)
        return plusProduct(residual, keyMajorFactors(ps, scoresT, v, training));
    }

    /** {@code residual + p·v} for the factors (B, Nq, H·Nk), (B, H·Nk, C); one addmm when all have batch 1. */
    private static NDArray plusProduct(NDArray residual, NDArray[] pv) {
        if (residual.getShape().get(0) == 1 && pv[0].getShape().get(0) == 1 && pv[1].getShape().get(0) == 1) {
            long nq = pv[0].getShape().get(1);
            long c = residual.getShape().get(2);
            // the residual may be a long-lived array (a prepared image's tokens): its 2-D view is
            // taken in the product's scope so that nothing of this call stays with it
            NDArray r = Ops.viewIn(residual, pv[0].getManager()).get(0);
            // addmm: residual + P·V'
            NDArray vt = pv[1].get(0).transpose(1, 0);
            return ai.djl.nn.core.Linear.linear(pv[0].get(0), vt, r).singletonOrThrow().reshape(1, nq, c); // DJL's: name clash
        }
        // the product first, so that the result belongs to the product's (per-call) scope
        return pv[0].matMul(pv[1]).add(residual);
    }

    /**
     * Few queries, many keys (token→image): softmax((q_h·W_k,h)·kᵀ/√d)·v·W_v,hᵀ + b_v per head,
     * so k and v are never projected. q_h·b_k is the same for every key of a query and cancels in
     * the softmax; the rows of softmax sum to one, so b_v passes through unchanged.
     */
    private NDArray fewQueries(ParameterStore ps, NDArray q, NDArray k, NDArray v, boolean training) {
        NDArray qh = separateHeads(qProj.forward(ps, q, training)); // (B, H, Nq, d)
        long b = qh.getShape().get(0);
        long nq = qh.getShape().get(2);
        long d = qh.getShape().get(3);
        long c = k.getShape().get(2);
        NDArray wk = value(ps, kProj.weight(), q, training).reshape(numHeads, d, c);
        NDArray qk = Ops.div(qh.matMul(wk), Math.sqrt(d)).reshape(b, numHeads * nq, c);
        NDArray attn = qk.matMul(k.transpose(0, 2, 1)); // (B, H·Nq, Nk), B of q or of k
        long bk = attn.getShape().get(0);
        long nk = attn.getShape().get(2);
        attn = attn.reshape(bk, numHeads, nq, nk).softmax(-1).reshape(bk, numHeads * nq, nk);
        NDArray pv = attn.matMul(v);
        pv = pv.reshape(pv.getShape().get(0), numHeads, nq, c);
        NDArray wv = value(ps, vProj.weight(), q, training).reshape(numHeads, d, c).transpose(0, 2, 1);
        NDArray out = pv.matMul(wv).add(value(ps, vProj.bias(), q, training).reshape(numHeads, 1, d)); // (B, H, Nq, d)
        out = out.transpose(0, 2, 1, 3).reshape(out.getShape().get(0), nq, numHeads * d);
        return outProj.forward(ps, out, training);
    }

    /**
     * Many queries, few keys (image→token): q·(W_q,hᵀ·k_hᵀ)/√d + b_q,h·k_hᵀ/√d per head as one
     * product with a (C, H·Nk) matrix, and the output projection folded into the values
     * (v_h·W_o,hᵀ), so neither q nor the attention output of the many tokens is projected.
     */
    private NDArray fewKeys(ParameterStore ps, NDArray q, NDArray k, NDArray v, boolean training) {
        NDArray[] pv = fewKeysFactors(ps, q, k, v, training);
        return pv[0].matMul(pv[1]);
    }

    /** The attention weights (B, Nq, H·Nk) and the projected values with bias (B, H·Nk, C) of {@link #fewKeys}. */
    private NDArray[] fewKeysFactors(ParameterStore ps, NDArray q, NDArray k, NDArray v, boolean training) {
        NDArray kh = separateHeads(kProj.forward(ps, k, training)); // (B, H, Nk, d)
        long nk = kh.getShape().get(2);
        long d = kh.getShape().get(3);
        long c = q.getShape().get(2);
        double scale = 1 / Math.sqrt(d);
        NDArray wq = value(ps, qProj.weight(), q, training).reshape(numHeads, d, c);
        NDArray bq = value(ps, qProj.bias(), q, training).reshape(numHeads, 1, d);
        NDArray ks = Ops.mul(kh, scale); // (B, H, Nk, d)
        long bk = ks.getShape().get(0);
        NDArray m = ks.matMul(wq).reshape(bk, numHeads * nk, c); // (B, H·Nk, C): k_h·W_q,h
        NDArray offset = ks.matMul(bq.transpose(0, 2, 1)).reshape(bk, numHeads * nk, 1); // k_h·b_q,h
        NDArray scoresT = m.matMul(q.transpose(0, 2, 1)).add(offset); // (B, H·Nk, Nq)
        return keyMajorFactors(ps, scoresT.reshape(-1, numHeads, nk, scoresT.getShape().get(2)), v, training);
    }

    /**
     * From scores (B, H, Nk, Nq) stored key-major: the attention weights (B, Nq, H·Nk) and the
     * values through the output projection, with bias, (B, H·Nk, C).
     */
    private NDArray[] keyMajorFactors(ParameterStore ps, NDArray scoresT, NDArray v, boolean training) {
        long nk = scoresT.getShape().get(2);
        long nq = scoresT.getShape().get(3);
        // key-major, the softmax over Nk runs along a strided axis with the Nq contiguous values
        // vectorised, instead of over rows of Nk = 7 values
        NDArray attnT = scoresT.softmax(2).reshape(-1, numHeads * nk, nq);
        NDArray vh = separateHeads(vProj.forward(ps, v, training)); // (B, H, Nk, d)
        long c = outProj.outFeatures();
        long d = vh.getShape().get(3);
        NDArray wo = value(ps, outProj.weight(), v, training).reshape(c, numHeads, d).transpose(1, 2, 0); // (H, d, C)
        // (B, H·Nk, C) with b_o / H added to every row: each head's softmax weights sum to one,
        // so the H heads together add b_o once, and the many-token output needs no bias pass
        NDArray bo = Ops.div(value(ps, outProj.bias(), v, training), numHeads);
        NDArray vo = vh.matMul(wo).add(bo).reshape(vh.getShape().get(0), numHeads * nk, c);
        return new NDArray[] {attnT.transpose(0, 2, 1), vo};
    }

    private enum Path { PROJECT_ALL, FEW_QUERIES, FEW_KEYS }

    /** The computation {@link #order} picks for these token counts. */
    private Path path(NDArray q, NDArray k) {
        long nq = q.getShape().get(1);
        long nk = k.getShape().get(1);
        long internal = qProj.outFeatures();
        return switch (order) {
            case PROJECT_ALL -> Path.PROJECT_ALL;
            case FEW_TOKEN_SIDE -> nq <= nk ? Path.FEW_QUERIES : Path.FEW_KEYS;
            case AUTO -> numHeads * nq < internal / 2 && nk > internal ? Path.FEW_QUERIES
                    : numHeads * nk < internal / 2 && nq > internal ? Path.FEW_KEYS : Path.PROJECT_ALL;
        };
    }

    /** Chooses where the projections are applied (tests run every order on small models). */
    public void order(Order order) {
        this.order = order;
    }

    /** Sets {@code order} on every decoder attention inside {@code root} (a model or any part of one). */
    public static void order(Block root, Order order) {
        if (root instanceof DecoderAttention a) {
            a.order(order);
        }
        for (Pair<String, Block> child : root.getChildren()) {
            order(child.getValue(), order);
        }
    }

    private NDArray separateHeads(NDArray x) {
        long b = x.getShape().get(0);
        long n = x.getShape().get(1);
        long c = x.getShape().get(2);
        return x.reshape(b, n, numHeads, c / numHeads).transpose(0, 2, 1, 3);
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, in.get(0), in.get(1), in.get(2), training));
    }
}
