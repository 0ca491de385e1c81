package org.medsa.core.modeling.sam2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import org.medsa.core.nn.Conv2d;
import org.medsa.core.nn.ModuleList;
import org.medsa.core.nn.TorchBlock;

/**
 * SAM 2's memory encoder ({@code MemoryEncoder}, docs/sam2.md): a frame's stride-16 features
 * ({@code pix_feat_proj}) plus its downsampled mask ({@code mask_downsampler}), fused by CXBlocks
 * ({@code fuser.layers.i}) and projected to the memory width ({@code out_proj}); the memory's
 * positional encoding is the sine encoding of its grid.
 */
public class MemoryEncoder extends TorchBlock {

    /** The fuser: {@code layers.i} CXBlocks and no input projection. */
    public static final class Fuser extends TorchBlock {
        private final ModuleList<CXBlock> layers;

        Fuser(int dim, Sam2Config.Fuser cfg) {
            this.layers = child("layers", new ModuleList<>());
            for (int i = 0; i < cfg.numLayers; i++) {
                layers.add(new CXBlock(dim, cfg.cxBlock));
            }
        }

        NDArray forward(ParameterStore ps, NDArray x, boolean training) {
            for (CXBlock b : layers.items()) {
                x = b.forward(ps, x, training);
            }
            return x;
        }

        @Override
        protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
            return new NDList(forward(ps, inputs.singletonOrThrow(), training));
        }
    }

    private final MaskDownSampler maskDownsampler;
    private final Conv2d pixFeatProj;
    private final Fuser fuser;
    private final Conv2d outProj;
    private final PositionEmbeddingSine positions;

    /** The memory encoder for {@code cfg}. */
    public MemoryEncoder(Sam2Config.MemoryEncoder cfg) {
        this.maskDownsampler = child("mask_downsampler", new MaskDownSampler(cfg.maskDownsampler, cfg.inDim));
        this.pixFeatProj = child("pix_feat_proj", new Conv2d(cfg.inDim, cfg.inDim, 1, 1, 0, true));
        this.fuser = child("fuser", new Fuser(cfg.inDim, cfg.fuser));
        this.outProj = cfg.outDim != cfg.inDim ? child("out_proj", new Conv2d(cfg.inDim, cfg.outDim, 1, 1, 0, true)) : null;
        this.positions = new PositionEmbeddingSine(cfg.positionEncoding);
    }

    /**
     * @param pixFeat (B, d, h, w) the frame's stride-16 features
     * @param mask (B, 1, S, S) the mask as the memory sees it (already scaled; no sigmoid here)
     * @return the memory features (B, mem_dim, h, w)
     */
    public NDArray forward(ParameterStore ps, NDArray pixFeat, NDArray mask, boolean training) {
        NDArray m = maskDownsampler.forward(ps, mask, training);
        NDArray x = pixFeatProj.forward(ps, pixFeat, training).add(m);
        x = fuser.forward(ps, x, training);
        return outProj != null ? outProj.forward(ps, x, training) : x;
    }

    /** The memory's positional encoding (1, mem_dim, h, w), a view in {@code memory}'s scope. */
    public NDArray positionalEncoding(NDArray memory) {
        return positions.encode((int) memory.getShape().get(2), (int) memory.getShape().get(3), memory.getDevice(),
                memory.getManager());
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList in, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, in.get(0), in.get(1), training));
    }
}
