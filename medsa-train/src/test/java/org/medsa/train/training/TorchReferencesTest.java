package org.medsa.train.training;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.medsa.core.io.pth.TensorData;
import org.medsa.core.testing.Reference;
import org.medsa.train.losses.Losses;
import org.medsa.train.losses.SegmentationLoss;

/**
 * The optimiser, the schedule, gradient clipping and the losses against PyTorch (Debian's
 * python3-torch; values recorded in testdata/references): torch.optim.AdamW, clip_grad_norm_,
 * LinearLR + CosineAnnealingLR in a SequentialLR, binary_cross_entropy_with_logits,
 * torchvision's sigmoid_focal_loss, and the Dice and IoU formulas written with torch operations, on
 * inputs both sides generate from the same formulas.
 */
class TorchReferencesTest {

    private static final List<String> TORCH = List.of("torch");

    /** The inputs, by formula: logits (2, 3, 4, 4), soft targets (2, 1, 4, 4), IoU predictions (2, 3). */
    static final String INPUTS = String.join("\n",
            "import math, json, torch",
            "import torch.nn.functional as F",
            "x = torch.tensor([3 * math.sin(0.37 * i + 0.1) for i in range(96)], dtype=torch.float64).reshape(2, 3, 4, 4)",
            "y = torch.tensor([min(1.0, max(0.0, 0.5 + 0.6 * math.cos(0.23 * i))) for i in range(32)], "
                    + "dtype=torch.float64).reshape(2, 1, 4, 4)",
            "iou = torch.tensor([0.5 + 0.4 * math.sin(i) for i in range(6)], dtype=torch.float64).reshape(2, 3)");

    static final String LOSSES = String.join("\n", INPUTS,
            "yb = y.expand_as(x)",
            "p = torch.sigmoid(x)",
            "bce = F.binary_cross_entropy_with_logits(x, yb, reduction='none').mean((2, 3))",
            "dice = 1 - (2 * (p * yb).sum((2, 3)) + 1e-5) / (p.sum((2, 3)) + yb.sum((2, 3)) + 1e-5)",
            "ce = F.binary_cross_entropy_with_logits(x, yb, reduction='none')",
            "pt = p * yb + (1 - p) * (1 - yb)",
            "focal = ((0.25 * yb + 0.75 * (1 - yb)) * (1 - pt) ** 2 * ce).mean((2, 3))",
            "pb = (x > 0).double(); tb = (yb > 0.5).double()",
            "miou = (pb * tb).sum((2, 3)) / torch.clamp((pb + tb - pb * tb).sum((2, 3)), min=1e-6)",
            "sam = 20 * focal + dice + (iou - miou) ** 2",
            "bcepw = F.binary_cross_entropy_with_logits(x, yb, pos_weight=torch.tensor(2.0, dtype=torch.float64), "
                    + "reduction='none').mean((2, 3))",
            "out = {}",
            "for name, per in [('dice-bce', bce + dice), ('sam', sam), ('bce-pos-weight', bcepw)]:",
            "    out[name] = dict(per_mask=per.reshape(-1).tolist(), loss=per.min(1).values.mean().item(),",
            "                     single=per[:, :1].mean().item())",
            "out['dice'] = dice.reshape(-1).tolist()",
            "out['focal'] = focal.reshape(-1).tolist()",
            "print(json.dumps(out))");

    static NDArray logits(NDManager m) {
        float[] v = new float[96];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (3 * Math.sin(0.37 * i + 0.1));
        }
        return m.create(v, new Shape(2, 3, 4, 4));
    }

    static NDArray targets(NDManager m) {
        float[] v = new float[32];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) Math.min(1.0, Math.max(0.0, 0.5 + 0.6 * Math.cos(0.23 * i)));
        }
        return m.create(v, new Shape(2, 1, 4, 4));
    }

    static NDArray iou(NDManager m) {
        float[] v = new float[6];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (0.5 + 0.4 * Math.sin(i));
        }
        return m.create(v, new Shape(2, 3));
    }

    @Test
    void lossesMatchPyTorch() {
        JsonObject ref = Reference.json("torch_losses", LOSSES, TORCH).getAsJsonObject();
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = logits(m);
            NDArray y = targets(m);
            NDArray iou = iou(m);
            for (String name : Losses.NAMES) {
                SegmentationLoss loss = Losses.byName(name);
                JsonObject r = ref.getAsJsonObject(name);
                assertClose(r.getAsJsonArray("per_mask"), loss.perMask(x, y, iou).toFloatArray(), name + " per mask");
                assertEquals(r.get("loss").getAsDouble(), loss.loss(x, y, iou).getFloat(), 2e-6, name
                        + " (min over masks, mean)");
                assertEquals(r.get("single").getAsDouble(), loss.loss(x.get(":, :1"), y, iou.get(":, :1")).getFloat(), 2e-6,
                        name + " single mask");
            }
            assertClose(ref.getAsJsonArray("dice"), Losses.diceLoss(x, y).toFloatArray(), "dice");
            assertClose(ref.getAsJsonArray("focal"), Losses.focal(x, y, 0.25, 2.0).toFloatArray(), "focal");
        }
    }

    /** torchvision's sigmoid focal loss (SAM's: alpha 0.25, gamma 2), element-wise, then the mean per mask. */
    static final String TORCHVISION_FOCAL = String.join("\n", INPUTS,
            "from torchvision.ops import sigmoid_focal_loss",
            "f = sigmoid_focal_loss(x, y.expand_as(x), alpha=0.25, gamma=2, reduction='none').mean((2, 3))",
            "print(json.dumps(dict(focal=f.reshape(-1).tolist())))");

    @Test
    void focalLossIsTorchvisionsDefinition() {
        // torchvision's own function, not a transcription of the formula
        JsonObject ref = Reference.json("torchvision_sigmoid_focal_loss", TORCHVISION_FOCAL, List.of("torch", "torchvision"))
                .getAsJsonObject();
        try (NDManager m = NDManager.newBaseManager()) {
            assertClose(ref.getAsJsonArray("focal"), Losses.focal(logits(m), targets(m), 0.25, 2.0).toFloatArray(), "focal");
        }
    }

    /** AdamW (lr schedule, clipping) over 5 steps on one parameter vector with fixed gradients. */
    static final String OPTIMISER = String.join("\n",
            "import math, json, torch",
            "w = torch.nn.Parameter(torch.tensor([0.5, -1.2, 2.0, 0.0, 3.3, -0.7], dtype=torch.float32))",
            "grads = [[0.3 * math.sin(1.7 * s + i) * (1 + 2 * (s % 2)) for i in range(6)] for s in range(5)]",
            "opt = torch.optim.AdamW([w], lr=0.01, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.05)",
            "warm = torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.5, end_factor=1.0, total_iters=1)",
            "cos = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=3, eta_min=0.0)",
            "sched = torch.optim.lr_scheduler.SequentialLR(opt, schedulers=[warm, cos], milestones=[2])",
            "lrs, norms, weights = [], [], []",
            "for g in grads:",
            "    lrs.append(opt.param_groups[0]['lr'])",
            "    w.grad = torch.tensor(g, dtype=torch.float32)",
            "    norms.append(torch.nn.utils.clip_grad_norm_([w], max_norm=0.5).item())",
            "    opt.step()",
            "    sched.step()",
            "    weights.append(w.detach().tolist())",
            "st = opt.state[w]",
            "print(json.dumps(dict(lrs=lrs, norms=norms, weights=weights, exp_avg=st['exp_avg'].tolist(),",
            "                      exp_avg_sq=st['exp_avg_sq'].tolist(), step=int(st['step']))))");

    @Test
    void adamWWithScheduleAndClippingMatchesPyTorch() {
        JsonObject ref = Reference.json("torch_adamw_schedule_clip", OPTIMISER, TORCH).getAsJsonObject();
        // the schedule: 5 steps, 2 of warm-up, then cosine to 0 (PyTorch: LinearLR from 1/2, then CosineAnnealingLR)
        LrSchedule schedule = new LrSchedule(0.01, 5, 2);
        JsonArray lrs = ref.getAsJsonArray("lrs");
        for (int s = 0; s < 5; s++) {
            assertEquals(lrs.get(s).getAsDouble(), schedule.at(s), 1e-12, "lr of step " + s);
        }
        try (NDManager m = NDManager.newBaseManager()) {
            Parameter w = Parameter.builder().setName("w").setType(Parameter.Type.WEIGHT).build();
            NDArray init = m.create(new float[] {0.5f, -1.2f, 2.0f, 0.0f, 3.3f, -0.7f});
            init.setRequiresGradient(true);
            w.setArray(init);
            Map<String, Parameter> params = new LinkedHashMap<>();
            params.put("w", w);
            try (AdamW opt = new AdamW(params, 0.9, 0.999, 1e-8, 0.05)) {
                for (int s = 0; s < 5; s++) {
                    float[] g = new float[6];
                    for (int i = 0; i < 6; i++) {
                        g[i] = (float) (0.3 * Math.sin(1.7 * s + i) * (1 + 2 * (s % 2)));
                    }
                    // make g the gradient of w: d/dw sum(w * g) = g
                    try (NDManager step = m.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray view = w.getArray().reshape(6);
                        gc.backward(view.mul(step.create(g)).sum());
                    }
                    double norm = opt.gradientNorm();
                    assertEquals(ref.getAsJsonArray("norms").get(s).getAsDouble(), norm, 1e-6, "gradient norm of step " + s);
                    opt.step(schedule.at(s), AdamW.clipScale(norm, 0.5));
                    opt.zeroGradients();
                    assertClose(ref.getAsJsonArray("weights").get(s).getAsJsonArray(), w.getArray().toFloatArray(),
                            "weights after step " + s);
                }
                assertEquals(ref.get("step").getAsLong(), opt.stepCount());
                Map<String, Object> state = opt.state();
                @SuppressWarnings("unchecked")
                Map<String, TensorData> expAvg = (Map<String, TensorData>) state.get("exp_avg");
                @SuppressWarnings("unchecked")
                Map<String, TensorData> expAvgSq = (Map<String, TensorData>) state.get("exp_avg_sq");
                assertClose(ref.getAsJsonArray("exp_avg"), expAvg.get("w").toFloatArray(), "exp_avg");
                assertClose(ref.getAsJsonArray("exp_avg_sq"), expAvgSq.get("w").toFloatArray(), "exp_avg_sq");
            }
        }
    }

    private static void assertClose(JsonArray expected, float[] got, String what) {
        assertEquals(expected.size(), got.length, what + " length");
        for (int i = 0; i < got.length; i++) {
            double e = expected.get(i).getAsDouble();
            assertEquals(e, got[i], 1e-6 + 1e-5 * Math.abs(e), what + " [" + i + "]");
        }
    }
}
