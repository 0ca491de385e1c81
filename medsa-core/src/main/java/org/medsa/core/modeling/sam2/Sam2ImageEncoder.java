package org.medsa.core.modeling.sam2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.List;
import org.medsa.core.nn.ActivationCheckpoints;
import org.medsa.core.nn.Precision;
import org.medsa.core.nn.TorchBlock;

/**
 * SAM 2's image encoder ({@code ImageEncoder}): the {@link Hiera} trunk, the {@link FpnNeck}, and
 * the scalp that drops the lowest-resolution levels. Children {@code trunk}, {@code neck}.
 */
public class Sam2ImageEncoder extends TorchBlock {

    private final Hiera trunk;
    private DataType computeType = DataType.FLOAT32;
    private final FpnNeck neck;
    private final int scalp;
    private final PositionEmbeddingSine positions;

    /** The encoder for {@code cfg}'s trunk and neck. */
    public Sam2ImageEncoder(Sam2Config cfg) {
        this(cfg, Hiera.SAM2_BLOCKS);
    }

    /** The encoder for {@code cfg} whose trunk blocks {@code blocks} builds. */
    public Sam2ImageEncoder(Sam2Config cfg, Hiera.BlockFactory blocks) {
        this.trunk = child("trunk", new Hiera(cfg.trunk, blocks));
        this.neck = child("neck", new FpnNeck(cfg.neck));
        this.scalp = cfg.neck.scalp;
        this.positions = new PositionEmbeddingSine(cfg.neck.positionEncoding);
    }

    /**
     * (B, 3, S, S) images → the backbone levels after the scalp ({@code backbone_fpn}), highest
     * resolution first, each (B, d_model, h, w); the last is the {@code vision_features}.
     */
    public List<NDArray> forward(ParameterStore ps, NDArray images, boolean training) {
        return forward(ps, images, training, null);
    }

    /** As above; {@code checkpoints} (or null) checkpoints the trunk's blocks in training ({@link Hiera#forward}). */
    public List<NDArray> forward(ParameterStore ps, NDArray images, boolean training, ActivationCheckpoints checkpoints) {
        List<NDArray> trunkLevels = trunk.forward(ps, computeType == DataType.FLOAT32 ? images
                : Precision.cast(images, computeType), training, training ? checkpoints : null);
        if (computeType != DataType.FLOAT32) {
            // the neck, the heads and the memory stay float32
            trunkLevels = trunkLevels.stream().map(l -> Precision.cast(l, DataType.FLOAT32)).toList();
        }
        List<NDArray> levels = neck.forward(ps, trunkLevels, training);
        return levels.subList(0, levels.size() - scalp);
    }

    /** The positional encoding ({@code vision_pos_enc}) of a level, (1, d_model, h, w), a view in {@code level}'s scope. */
    public NDArray positionalEncoding(NDArray level) {
        return positions.encode((int) level.getShape().get(2), (int) level.getShape().get(3), level.getDevice(),
                level.getManager());
    }

    /**
     * The type the trunk computes in: FLOAT32 (the default, exact to the official code) or
     * BFLOAT16 ({@link org.medsa.core.nn.ComputePrecision}; LayerNorm statistics and softmax
     * accumulate in float32, the neck and everything after it stay float32).
     */
    public void computeType(DataType type) {
        if (type != DataType.FLOAT32 && type != DataType.BFLOAT16) {
            throw new IllegalArgumentException("SAM 2's trunk computes in float32 or bfloat16, not " + type);
        }
        this.computeType = type;
    }

    /** The type the trunk computes in. */
    public DataType computeType() {
        return computeType;
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
