package org.medsa.train.losses;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Activation;
import java.util.List;
import java.util.Locale;
import org.medsa.core.MedsaException;
import org.medsa.core.nn.Ops;

/**
 * The losses of docs/model.md ("Losses"): Dice + BCE (default), SAM's 20·focal + Dice + MSE on the IoU head, and
 * the official code's BCE with pos_weight 2. All take logits; the formulas follow PyTorch's and
 * MONAI's definitions so values match them.
 */
public final class Losses {

    /** Names accepted by {@link #byName}. */
    public static final List<String> NAMES = List.of("dice-bce", "sam", "bce-pos-weight");

    private Losses() {}

    /**
     * The loss named {@code name} (any case) from {@link #NAMES}; {@code bce-pos-weight} uses
     * pos_weight 2.
     *
     * @throws MedsaException for an unknown name
     */
    public static SegmentationLoss byName(String name) {
        switch (name.toLowerCase(Locale.ROOT)) {
            case "dice-bce":
                return diceBce();
            case "sam":
                return samFocalDiceIou();
            case "bce-pos-weight":
                return bcePosWeight(2.0);
            default:
                throw new MedsaException("unknown loss '" + name + "' (use one of " + NAMES + ")");
        }
    }

    /**
     * Element-wise {@code BCEWithLogitsLoss(pos_weight)} in PyTorch's stable form:
     * (1 − y)·x + (1 + (p − 1)·y)·(log(1 + e^{−|x|}) + max(−x, 0)).
     */
    public static NDArray bceWithLogits(NDArray x, NDArray y, double posWeight) {
        NDArray softplus = x.abs().neg().exp().add(1).log().add(Ops.maximum(x.neg(), 0));
        NDArray logWeight = Ops.mul(y, posWeight - 1).add(1);
        return y.neg().add(1).mul(x).add(logWeight.mul(softplus));
    }

    /** Mean over (h, w): (B, C, h, w) → (B, C). */
    private static NDArray spatialMean(NDArray a) {
        // DJL's PyTorch engine reduces the mean over one axis only; sum / count is the same.
        return Ops.div(a.sum(new int[] {2, 3}), a.getShape().get(2) * a.getShape().get(3));
    }

    /**
     * Soft Dice loss per mask, 1 − (2Σpy + ε)/(Σp + Σy + ε) with p = sigmoid(x) and ε = 1e-5
     * (MONAI's smoothing), over the spatial axes.
     */
    public static NDArray diceLoss(NDArray x, NDArray y) {
        return diceLoss(x, y, 1e-5);
    }

    /** Soft Dice loss per mask with smoothing {@code smooth} (SAM 2's training uses 1). */
    public static NDArray diceLoss(NDArray x, NDArray y, double smooth) {
        NDArray p = Activation.sigmoid(x);
        NDArray yb = y.broadcast(p.getShape());
        NDArray inter = p.mul(yb).sum(new int[] {2, 3});
        NDArray denom = p.sum(new int[] {2, 3}).add(yb.sum(new int[] {2, 3}));
        return Ops.mul(inter, 2).add(smooth).div(denom.add(smooth)).neg().add(1);
    }

    /** Focal loss (α = 0.25, γ = 2) per mask, averaged over pixels. */
    public static NDArray focal(NDArray x, NDArray y, double alpha, double gamma) {
        NDArray yb = y.broadcast(x.getShape());
        NDArray p = Activation.sigmoid(x);
        NDArray ce = bceWithLogits(x, yb, 1.0);
        NDArray pt = p.mul(yb).add(p.neg().add(1).mul(yb.neg().add(1)));
        NDArray mod = Ops.pow(pt.neg().add(1), gamma);
        NDArray a = Ops.mul(yb, alpha).add(Ops.mul(yb.neg().add(1), 1 - alpha));
        return spatialMean(a.mul(mod).mul(ce));
    }

    /** The (B, C) IoU between thresholded logits and the (binarised) target, without gradient. */
    public static NDArray maskIou(NDArray x, NDArray y) {
        NDArray pb = x.gt(0).toType(x.getDataType(), false);
        NDArray yb = y.gt(0.5).toType(x.getDataType(), false).broadcast(pb.getShape());
        NDArray inter = pb.mul(yb).sum(new int[] {2, 3});
        NDArray union = pb.add(yb).sub(pb.mul(yb)).sum(new int[] {2, 3});
        return inter.div(Ops.maximum(union, 1e-6)).stopGradient();
    }

    /** Dice + BCE, equal weights (works with soft targets). */
    public static SegmentationLoss diceBce() {
        return new SegmentationLoss() {
            @Override
            public NDArray perMask(NDArray logits, NDArray target, NDArray iouPred) {
                NDArray bce = spatialMean(bceWithLogits(logits, target.broadcast(logits.getShape()), 1.0));
                return bce.add(diceLoss(logits, target));
            }

            @Override
            public String name() {
                return "dice-bce";
            }
        };
    }

    /** SAM's recipe: 20·focal + Dice, plus MSE between the IoU head and the actual IoU. */
    public static SegmentationLoss samFocalDiceIou() {
        return new SegmentationLoss() {
            @Override
            public NDArray perMask(NDArray logits, NDArray target, NDArray iouPred) {
                NDArray l = Ops.mul(focal(logits, target, 0.25, 2.0), 20).add(diceLoss(logits, target));
                if (iouPred != null) {
                    l = l.add(iouPred.sub(maskIou(logits, target)).square());
                }
                return l;
            }

            @Override
            public String name() {
                return "sam";
            }
        };
    }

    /** The official code's 2D loss: BCE with logits and pos_weight. */
    public static SegmentationLoss bcePosWeight(double posWeight) {
        return new SegmentationLoss() {
            @Override
            public NDArray perMask(NDArray logits, NDArray target, NDArray iouPred) {
                return spatialMean(bceWithLogits(logits, target.broadcast(logits.getShape()), posWeight));
            }

            @Override
            public String name() {
                return "bce-pos-weight";
            }
        };
    }
}
