package org.medsa.core.modeling.sam2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.List;
import org.medsa.core.nn.TorchBlock;

/**
 * SAM 2's image encoder ({@code ImageEncoder}): the {@link Hiera} trunk, the {@link FpnNeck}, and
 * the scalp that drops the lowest-resolution levels. Children {@code trunk}, {@code neck}.
 */
public class Sam2ImageEncoder extends TorchBlock {

    private final Hiera trunk;
    private final FpnNeck neck;
    private final int scalp;
    private final PositionEmbeddingSine positions;

    /** The encoder for {@code cfg}'s trunk and neck. */
    public Sam2ImageEncoder(Sam2Config cfg) {
        this.trunk = child("trunk", new Hiera(cfg.trunk));
        this.neck = child("neck", new FpnNeck(cfg.neck));
        this.scalp = cfg.neck.scalp;
        this.positions = new PositionEmbeddingSine(cfg.neck.positionEncoding);
    }

    /**
     * (B, 3, S, S) images → the backbone levels after the scalp ({@code backbone_fpn}), highest
     * resolution first, each (B, d_model, h, w); the last is the {@code vision_features}.
     */
    public List<NDArray> forward(ParameterStore ps, NDArray images, boolean training) {
        List<NDArray> levels = neck.forward(ps, trunk.forward(ps, images, training), training);
        return levels.subList(0, levels.size() - scalp);
    }

    /** The positional encoding ({@code vision_pos_enc}) of a level, (1, d_model, h, w), a view in {@code level}'s scope. */
    public NDArray positionalEncoding(NDArray level) {
        return positions.encode((int) level.getShape().get(2), (int) level.getShape().get(3), level.getDevice(),
                level.getManager());
    }

    /** The trunk. */
    public Hiera trunk() {
        return trunk;
    }

    /** The neck. */
    public FpnNeck neck() {
        return neck;
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, inputs.singletonOrThrow(), training));
    }
}
