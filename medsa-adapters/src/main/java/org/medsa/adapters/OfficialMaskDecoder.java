package org.medsa.adapters;

import org.medsa.core.modeling.MaskDecoder;
import org.medsa.core.modeling.SamConfig;
import org.medsa.core.modeling.TwoWayTransformer;

/**
 * The official Med-SA mask decoder: max(4, n) mask tokens for n = num_multimask_outputs, and
 * masks 0..n−1 are returned whatever the multimask flag says (token 0 is SAM's single-mask
 * token).
 */
public class OfficialMaskDecoder extends MaskDecoder {

    private final int outputs;

    /** The decoder for {@code cfg} around {@code transformer}, with max(4, num_multimask_outputs) mask tokens. */
    public OfficialMaskDecoder(SamConfig.MaskDecoder cfg, TwoWayTransformer transformer) {
        super(cfg, transformer, Math.max(4, cfg.numMultimaskOutputs));
        this.outputs = cfg.numMultimaskOutputs;
    }

    @Override
    protected int[] selectedTokens(boolean multimask) {
        return new int[] {0, outputs};
    }
}
