package org.medsa.train.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.medsa.core.Seeds;
import org.medsa.core.modeling.PromptEncoder;
import org.medsa.core.modeling.Sam;
import org.medsa.core.nn.Ops;
import org.medsa.train.losses.SegmentationLoss;
import org.medsa.train.prompts.BoxSampler;
import org.medsa.train.prompts.ClickSampler;
import org.medsa.train.prompts.PromptBatch;

/**
 * The prompts of one training step and their losses: the first prompt is a jittered box or one
 * positive click (multimask, loss on the best of the three masks), then {@code correctiveRounds}
 * corrective clicks sampled from the error of the previous prediction, each round feeding the
 * previous low-res logits back as the mask prompt. The loss is the mean over rounds. Prompts are
 * sampled sample by sample from per-sample seeds, so they do not depend on how a batch is split
 * over devices or micro-batches.
 */
final class PromptRounds {

    /** A step's loss (in the autograd graph) and the last round's low-res logits (B, 1, L, L). */
    record Outcome(NDArray loss, NDArray lastLogits) {}

    private final Sam model;
    private final SegmentationLoss loss;
    private final int correctiveRounds;

    PromptRounds(Sam model, SegmentationLoss loss, int correctiveRounds) {
        this.model = model;
        this.loss = loss;
        this.correctiveRounds = correctiveRounds;
    }

    /**
     * Runs every round on a batch whose image embeddings are {@code embeddings}.
     *
     * @param depth slices per sample (they share the sample's seed)
     * @param useBox whether the first prompt is a box (else a click)
     * @param seeds one seed per sample
     */
    Outcome run(ParameterStore ps, NDArray embeddings, SamBatch b, int depth, boolean useBox, long[] seeds) {
        PromptBatch prompts = perSample(b.masks(), seeds, depth, 0, m -> useBox
                ? new PromptBatch(null, null, BoxSampler.jitteredBoxes(m, 0.1, 20))
                : ClickSampler.randomPositiveClicks(m, 1));
        Sam.DecoderOutput p = decode(ps, embeddings, prompts, null, !useBox);
        NDArray total = loss.loss(p.lowResLogits(), b.lowResTargets(), p.iouPredictions());
        NDArray prev = bestMask(p, b.lowResTargets());
        for (int r = 0; r < correctiveRounds; r++) {
            NDArray prevFull = model.geometry().masksToInput(prev).squeeze(1).stopGradient();
            prompts = prompts.append(perSample(b.masks(), seeds, depth, r + 1, prevFull,
                    (m, logits) -> ClickSampler.correctiveClicks(m, logits, false)));
            p = decode(ps, embeddings, prompts, prev.stopGradient(), false);
            total = total.add(loss.loss(p.lowResLogits(), b.lowResTargets(), p.iouPredictions()));
            prev = p.lowResLogits().get(":, 0:1");
        }
        return new Outcome(Ops.div(total, correctiveRounds + 1), prev);
    }

    /** Samples prompts for each sample (its D slices together) from its own seed, then concatenates. */
    private static PromptBatch perSample(NDArray masks, long[] seeds, int depth, int round, Function<NDArray,
            PromptBatch> sampler) {
        return perSample(masks, seeds, depth, round, masks, (m, ignored) -> sampler.apply(m));
    }

    private static PromptBatch perSample(NDArray masks, long[] seeds, int depth, int round, NDArray extra,
            BiFunction<NDArray, NDArray, PromptBatch> sampler) {
        List<PromptBatch> parts = new ArrayList<>();
        for (int i = 0; i < seeds.length; i++) {
            Seeds.seedEngine(Seeds.mix(seeds[i], round));
            String range = (i * depth) + ":" + ((i + 1) * depth);
            parts.add(sampler.apply(masks.get(range), extra.get(range)));
        }
        if (parts.size() == 1) {
            return parts.get(0);
        }
        return new PromptBatch(concat(parts, PromptBatch::points), concat(parts, PromptBatch::labels),
                concat(parts, PromptBatch::boxes));
    }

    private static NDArray concat(List<PromptBatch> parts, Function<PromptBatch, NDArray> field) {
        return field.apply(parts.get(0)) == null ? null : NDArrays.concat(new NDList(parts.stream().map(field).toList()), 0);
    }

    /** Decodes with the prompt encoder run without gradients (it is frozen in both recipes). */
    private Sam.DecoderOutput decode(ParameterStore ps, NDArray emb, PromptBatch prompts, NDArray maskInput, boolean multimask) {
        NDManager m = emb.getManager();
        PromptEncoder.Embeddings pe = Ops.noGrad(() -> model.encodePrompts(ps, m, prompts.points(), prompts.labels(),
                prompts.boxes(), maskInput, true));
        NDArray valid = Sam.validTokens(pe.sparse(), prompts.labels(), prompts.boxes() != null);
        return model.decode(ps, emb, pe, valid, multimask, true);
    }

    /** Per sample, the mask with the lowest loss (for the next round's mask prompt): (B, 1, L, L). */
    private NDArray bestMask(Sam.DecoderOutput p, NDArray target) {
        NDArray logits = p.lowResLogits();
        if (logits.getShape().get(1) == 1) {
            return logits;
        }
        NDArray per = loss.perMask(logits, target, p.iouPredictions()).stopGradient(); // (B, C)
        NDArray pick = per.argMin(1); // (B)
        NDArray oneHot = pick.oneHot((int) logits.getShape().get(1)).toType(logits.getDataType(), false); // (B, C)
        return logits.mul(oneHot.expandDims(-1).expandDims(-1)).sum(new int[] {1}, true);
    }
}
