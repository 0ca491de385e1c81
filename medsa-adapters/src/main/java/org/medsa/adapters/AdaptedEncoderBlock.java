package org.medsa.adapters;

import ai.djl.ndarray.NDArray;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.medsa.core.MedsaException;
import org.medsa.core.modeling.EncoderBlock;
import org.medsa.core.modeling.SamConfig;
import org.medsa.core.nn.Ops;

/**
 * A ViT block with Med-SA's adapters (docs/model.md, "Encoder block with adapters", "SD-Trans"): {@code Space_Adapter} (with
 * skip) on the
 * attention output before the residual, {@code MLP_Adapter} parallel to the MLP scaled by s, and
 * for volumes the SD-Trans depth branch with its {@code Depth_Adapter}.
 *
 * <p>For a volume the block input is (B·D, H, W, C) with the D slices of each volume contiguous;
 * the slice count D arrives in the forward parameters under {@link #DEPTH}.
 */
public class AdaptedEncoderBlock extends EncoderBlock {

    /** Forward-parameter key: slices per volume (absent or null for 2D input). */
    public static final String DEPTH = "depth";

    private final MedsaConfig mcfg;
    private final Adapter spaceAdapter;
    private final Adapter mlpAdapter;
    private final Adapter depthAdapter;

    /**
     * SAM's block for {@code cfg} plus the adapters {@code mcfg} asks for (a Depth adapter only if
     * {@link MedsaConfig#hasDepthAdapters()}).
     */
    public AdaptedEncoderBlock(SamConfig.ImageEncoder cfg, int windowSize, int gridSize, MedsaConfig mcfg) {
        super(cfg, windowSize, gridSize, mcfg.relNames());
        this.mcfg = mcfg;
        long dim = cfg.embedDim;
        long width = mcfg.encoderWidthFor(dim);
        // Registration order follows the official AdapterBlock (MLP, Space, Depth), which is also
        // the order of its state dicts.
        this.mlpAdapter = child("MLP_Adapter", new Adapter(dim, width, mcfg.activation(), false, mcfg.init()));
        this.spaceAdapter = child("Space_Adapter", new Adapter(dim, width, mcfg.activation(), true, mcfg.init()));
        this.depthAdapter = mcfg.hasDepthAdapters()
                ? child("Depth_Adapter", new Adapter(dim, width, mcfg.activation(), false, mcfg.init()))
                : null;
    }

    @Override
    public NDArray forward(ParameterStore ps, NDArray x, boolean training, PairList<String, Object> params) {
        Integer depth = params == null ? null : (Integer) params.get(DEPTH);
        if (depth != null && depthAdapter == null) {
            throw new MedsaException("this model was built for 2D images; build it with volumetric = true for 3D input");
        }
        NDArray shortcut = x;
        long h = x.getShape().get(1);
        long w = x.getShape().get(2);
        NDArray attnOut;
        if (mcfg.padBeforeNorm()) {
            // Official order: partition (zero padding) first, then LN1.
            NDArray xp = windowSize > 0 ? Ops.windowPartition(x, windowSize) : x;
            NDArray a = spaceAdapter.forward(ps, attn.forward(ps, norm1.forward(ps, xp, training), training), training);
            if (depth != null && mcfg.depthMode() == MedsaConfig.DepthMode.OFFICIAL_GROUPING) {
                a = a.add(officialDepthBranch(ps, xp, training));
            }
            attnOut = windowSize > 0 ? Ops.windowUnpartition(a, windowSize, h, w) : a;
            if (depth != null && mcfg.depthMode() == MedsaConfig.DepthMode.CORRECTED) {
                attnOut = attnOut.add(correctedDepthBranch(ps, norm1.forward(ps, x, training), depth, training));
            }
        } else {
            NDArray xn = norm1.forward(ps, x, training);
            NDArray a = windowSize > 0 ? Ops.windowPartition(xn, windowSize) : xn;
            a = spaceAdapter.forward(ps, attn.forward(ps, a, training), training);
            if (depth != null && mcfg.depthMode() == MedsaConfig.DepthMode.OFFICIAL_GROUPING) {
                NDArray xp = windowSize > 0 ? Ops.windowPartition(x, windowSize) : x;
                a = a.add(officialDepthBranch(ps, xp, training));
            }
            attnOut = windowSize > 0 ? Ops.windowUnpartition(a, windowSize, h, w) : a;
            if (depth != null && mcfg.depthMode() == MedsaConfig.DepthMode.CORRECTED) {
                attnOut = attnOut.add(correctedDepthBranch(ps, xn, depth, training));
            }
        }
        x = shortcut.add(attnOut);
        NDArray xn2 = norm2.forward(ps, x, training);
        return x.add(mlp.forward(ps, xn2, training)).add(Ops.mul(mlpAdapter.forward(ps, xn2, training), mcfg.mlpScale()));
    }

    /**
     * SD-Trans as the paper describes it: for every token position, attention along the slice axis
     * with the block's own (frozen) attention weights, then the Depth adapter.
     * xn: LN1 output (B·D, H, W, C) → (B·D, H, W, C).
     */
    private NDArray correctedDepthBranch(ParameterStore ps, NDArray xn, int depth, boolean training) {
        long n = xn.getShape().get(0);
        long h = xn.getShape().get(1);
        long w = xn.getShape().get(2);
        long c = xn.getShape().get(3);
        if (n % depth != 0) {
            throw new MedsaException("a batch of " + n + " slices is not a whole number of " + depth + "-slice volumes");
        }
        long b = n / depth;
        NDArray seq = xn.reshape(b, depth, h, w, c).transpose(0, 2, 3, 1, 4).reshape(b * h * w, 1, depth, c);
        NDArray d = depthAdapter.forward(ps, attn.forward(ps, seq, training, false), training);
        return d.reshape(b, h, w, depth, c).transpose(0, 3, 1, 2, 4).reshape(n, h, w, c);
    }

    /**
     * The official code's depth branch: consecutive groups of {@code chunk} entries of the
     * (window-partitioned) batch become sequences, LN1, folded to a near-square dh×dw grid, the
     * block's attention (tables resized), the Depth adapter, and back.
     */
    private NDArray officialDepthBranch(ParameterStore ps, NDArray xp, boolean training) {
        long n = xp.getShape().get(0);
        long hh = xp.getShape().get(1);
        long ww = xp.getShape().get(2);
        long c = xp.getShape().get(3);
        int depth = mcfg.chunk() != null ? mcfg.chunk() : (int) n;
        if (n % depth != 0) {
            throw new MedsaException("official depth grouping: " + n + " batch entries are not a multiple of chunk " + depth);
        }
        long b = n / depth;
        // '(b n) h w c -> (b h w) n c'
        NDArray xd = xp.reshape(b, depth, hh, ww, c).transpose(0, 2, 3, 1, 4).reshape(b * hh * ww, depth, c);
        xd = norm1.forward(ps, xd, training);
        int[] f = closestNumbers(depth);
        xd = xd.reshape(b * hh * ww, f[0], f[1], c);
        xd = depthAdapter.forward(ps, attn.forward(ps, xd, training), training);
        // '(b n) dh dw c -> (b dh dw) n c' with n = hh·ww, then 'b (hh ww) c -> b hh ww c'
        return xd.reshape(b, hh * ww, depth, c).transpose(0, 2, 1, 3).reshape(n, hh, ww, c);
    }

    /**
     * The official code's factorisation of the depth: starting from a = ⌊√d⌋, b = a + 1, walk
     * until a·b = d (4 → 1×4, 36 → 4×9, 96 → 8×12, a prime p → 1×p).
     */
    static int[] closestNumbers(int target) {
        int a = (int) Math.sqrt(target);
        int b = a + 1;
        while (true) {
            long p = (long) a * b;
            if (p == target) {
                return new int[] {a, b};
            }
            if (p < target) {
                b++;
            } else {
                a--;
            }
        }
    }
}
