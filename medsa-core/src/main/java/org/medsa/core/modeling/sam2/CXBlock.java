package org.medsa.core.modeling.sam2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.Arrays;
import org.medsa.core.nn.Conv2d;
import org.medsa.core.nn.Inits;
import org.medsa.core.nn.LayerNorm2d;
import org.medsa.core.nn.Linear;
import org.medsa.core.nn.Mlp;
import org.medsa.core.nn.TorchBlock;

/**
 * A ConvNeXt block of the memory fuser ({@code CXBlock}): depth-wise convolution, LayerNorm2d
 * (eps 1e-6), pointwise MLP (×4, GELU) on channel-last pixels, layer scale {@code gamma}, and the
 * residual. Children {@code gamma}, {@code dwconv}, {@code norm}, {@code pwconv1}, {@code pwconv2}.
 */
public class CXBlock extends TorchBlock {

    private final Parameter gamma;
    private final Conv2d dwconv;
    private final LayerNorm2d norm;
    private final Linear pwconv1;
    private final Linear pwconv2;

    /** A block of {@code dim} channels for {@code cfg}. */
    public CXBlock(int dim, Sam2Config.CxBlock cfg) {
        this.gamma = cfg.layerScaleInitValue > 0
                ? param("gamma", new Shape(dim), Inits.constant(filled(dim, (float) cfg.layerScaleInitValue))) : null;
        this.dwconv = child("dwconv", new Conv2d(dim, dim, cfg.kernelSize, 1, cfg.padding, cfg.useDwconv ? dim : 1, true));
        this.norm = child("norm", new LayerNorm2d(dim, 1e-6));
        this.pwconv1 = child("pwconv1", new Linear(dim, 4L * dim));
        this.pwconv2 = child("pwconv2", new Linear(4L * dim, dim));
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        Arrays.fill(a, v);
        return a;
    }

    /** x (B, C, H, W) → the same shape. */
    public NDArray forward(ParameterStore ps, NDArray x, boolean training) {
        NDArray y = norm.forward(ps, dwconv.forward(ps, x, training), training).transpose(0, 2, 3, 1);
        y = pwconv2.forward(ps, Mlp.Activation.GELU.apply(pwconv1.forward(ps, y, training)), training);
        if (gamma != null) {
            y = value(ps, gamma, y, training).mul(y);
        }
        return x.add(y.transpose(0, 3, 1, 2));
    }

    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(ps, inputs.singletonOrThrow(), training));
    }
}
