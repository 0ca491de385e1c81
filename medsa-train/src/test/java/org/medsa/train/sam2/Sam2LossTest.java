package org.medsa.train.sam2;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.medsa.core.modeling.sam2.Sam2Model;
import org.medsa.core.testing.Reference;

/**
 * SAM 2's frame loss on a hand-made case of 3 objects × 3 masks × 5×5 pixels (a block, a diagonal
 * band, and an absent object) against {@code MultiStepMultiMasksAndIous} with the SAM 2.1 training
 * settings, written in float64 PyTorch from the formulas of the official {@code
 * training/loss_fns.py} (Debian's python3-torch; recorded in testdata/references/sam2_loss.json).
 */
class Sam2LossTest {

    static final String LOSS = String.join("\n",
            "import torch, math, json",
            "import torch.nn.functional as F",
            "B, M, S = 3, 3, 5",
            "x = torch.tensor([4.0 * math.sin(0.37 * i + 0.1) for i in range(B * M * S * S)], dtype=torch.float64)"
                    + ".reshape(B, M, S, S)",
            "t = torch.zeros(B, 1, S, S, dtype=torch.float64)",
            "t[0, 0, 1:4, 1:3] = 1",
            "for r in range(S):",
            "    for c in range(S):",
            "        if abs(r - c) <= 1: t[1, 0, r, c] = 1",
            "ious = torch.tensor([0.5 + 0.4 * math.cos(0.9 * i) for i in range(B * M)], dtype=torch.float64).reshape(B, M)",
            "obj = torch.tensor([1.5, -0.3, -2.0], dtype=torch.float64).reshape(B, 1)",
            "n = B",
            "tm = t.expand(B, M, S, S)",
            "p = x.sigmoid()",
            "ce = F.binary_cross_entropy_with_logits(x, tm, reduction='none')",
            "pt = p * tm + (1 - p) * (1 - tm)",
            "focal = ((0.25 * tm + 0.75 * (1 - tm)) * ce * (1 - pt) ** 2).flatten(2).mean(-1) / n",
            "pi, ti = p.flatten(2), tm.flatten(2)",
            "dice = (1 - (2 * (pi * ti).sum(-1) + 1) / (pi.sum(-1) + ti.sum(-1) + 1)) / n",
            "pm, gm = x.flatten(2) > 0, ti > 0",
            "actual = (pm & gm).sum(-1).double() / torch.clamp((pm | gm).sum(-1).double(), min=1.0)",
            "iou = F.l1_loss(ious, actual, reduction='none') / n",
            "obj_t = (t.flatten(1).max(1).values > 0).double().reshape(B, 1)",
            "cls = F.binary_cross_entropy_with_logits(obj, obj_t, reduction='none').mean(1).sum() / n",
            "best = (20 * focal + dice).argmin(1)",
            "rows = torch.arange(B)",
            "mask = (focal[rows, best].unsqueeze(1) * obj_t).sum()",
            "dl = (dice[rows, best].unsqueeze(1) * obj_t).sum()",
            "il = (iou.mean(-1, keepdim=True) * obj_t).sum()",
            "print(json.dumps(dict(total=(20 * mask + dl + il + cls).item(), best=best.tolist())))");

    @Test
    void equalsTheOfficialFormulasOnAHandMadeCase() {
        JsonObject ref = Reference.json("sam2_loss", LOSS, List.of("torch")).getAsJsonObject();
        int b = 3;
        int m = 3;
        int s = 5;
        float[] x = new float[b * m * s * s];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (4.0 * Math.sin(0.37 * i + 0.1));
        }
        float[] t = new float[b * s * s];
        for (int r = 0; r < s; r++) {
            for (int c = 0; c < s; c++) {
                t[r * s + c] = r >= 1 && r <= 3 && c >= 1 && c <= 2 ? 1 : 0;
                t[s * s + r * s + c] = Math.abs(r - c) <= 1 ? 1 : 0;
            }
        }
        float[] ious = new float[b * m];
        for (int i = 0; i < ious.length; i++) {
            ious[i] = (float) (0.5 + 0.4 * Math.cos(0.9 * i));
        }
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray masks = manager.create(x, new Shape(b, m, s, s));
            NDArray target = manager.create(t, new Shape(b, 1, s, s));
            Sam2Model.HeadsOutput heads = new Sam2Model.HeadsOutput(null, masks, manager.create(ious, new Shape(b, m)), null,
                    null, null, null, manager.create(new float[] {1.5f, -0.3f, -2.0f}, new Shape(b, 1)));
            double expected = ref.get("total").getAsDouble();
            assertEquals(expected, Sam2Loss.of(heads, target).getFloat(), 2e-6 * expected);
        }
    }
}
