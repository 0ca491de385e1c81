package org.medsa.train.sam2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.medsa.core.modeling.sam2.Sam2Model;
import org.medsa.core.nn.Ops;
import org.medsa.train.losses.Losses;

/**
 * SAM 2's training loss of one frame ({@code MultiStepMultiMasksAndIous} as the SAM 2.1 training
 * configuration sets it: weights mask 20, Dice 1, IoU 1, class 1; L1 IoU loss on every mask):
 * focal (α 0.25, γ 2) and Dice (smoothing 1) losses of the predicted masks against the target,
 * with several masks the best of them only (by 20·focal + Dice); the L1 difference between every
 * predicted IoU and the mask's actual IoU (logits &gt; 0 against the target; 0 when both are
 * empty); and the object score's binary cross-entropy against whether the target holds the
 * object. Mask and IoU terms count only where the object is there; the mean over the batch.
 */
final class Sam2Loss {

    private Sam2Loss() {}

    /**
     * The mean loss of a frame over the batch.
     *
     * @param heads the SAM heads' output (masks at the input size)
     * @param target (B, 1, S, S) in {0, 1}
     */
    static NDArray of(Sam2Model.HeadsOutput heads, NDArray target) {
        NDArray masks = heads.highResMultimasks(); // (B, M, S, S)
        long b = masks.getShape().get(0);
        NDArray perMask = Ops.mul(Losses.focal(masks, target, 0.25, 2.0), 20).add(Losses.diceLoss(masks, target, 1.0)); // (B, M)
        NDArray best = perMask.argMin(1).reshape(b, 1);
        NDArray maskLoss = perMask.gather(best, 1).reshape(b);
        NDArray iouLoss = heads.ious().sub(Losses.maskIou(masks, target)).abs().mean(new int[] {1}); // (B)
        NDArray present = target.reshape(b, -1).max(new int[] {1}).toType(DataType.FLOAT32, false); // (B)
        NDArray objLoss = Losses.bceWithLogits(heads.objectScoreLogits().reshape(b), present, 1.0);
        NDArray total = maskLoss.add(iouLoss).mul(present).add(objLoss);
        return Ops.div(total.sum(), b).reshape(new Shape());
    }
}
