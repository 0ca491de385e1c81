package org.medsa.train.sam2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.medsa.core.MedsaException;
import org.medsa.core.Seeds;
import org.medsa.core.modeling.sam2.Sam2Model;
import org.medsa.core.nn.ActivationCheckpoints;
import org.medsa.core.nn.Ops;
import org.medsa.data.transforms.Sample;
import org.medsa.train.losses.Losses;
import org.medsa.train.losses.SegmentationLoss;
import org.medsa.train.prompts.BoxSampler;
import org.medsa.train.prompts.ClickSampler;
import org.medsa.train.prompts.PromptBatch;
import org.medsa.train.training.SamBatch;

/**
 * One SAM 2 training step on a chunk of T consecutive slices (docs/sam2.md, "Med-SA on SAM 2"), as
 * SAM 2's own training runs a clip:
 *
 * <ol>
 *   <li>the prompted slice — the first slice of the chunk that shows the organ, or (with {@code
 *       randomPromptSlice}) a random one of those — gets a click or a jittered box sampled from
 *       the truth, then {@code correctiveRounds} corrective clicks sampled from the error of the
 *       previous round, each round fed the previous low-res logits; its loss is the mean over
 *       rounds and its last masks go into the memory;
 *   <li>every other slice, in order, is tracked with the memory of the slices before it in the
 *       processing order (conditioning slice first), and its masks go into the memory too;
 *       {@code correctedSlices} of them, drawn at random, then get {@code correctiveRounds}
 *       corrective clicks from their tracked masks' errors (the previous low-res logits as mask
 *       input, their loss the mean over rounds) and enter the memory as conditioning slices, as
 *       SAM 2's training corrects frames ({@code num_frames_to_correct_for_train}, {@code
 *       add_all_frames_to_correct_as_cond});
 *   <li>the loss covers every slice: SAM 2.1's (focal 20 + Dice of the best mask, L1 IoU, object-score
 *       BCE, {@link Sam2Loss}) or, by name, one of SAM's losses plus the object-score BCE. Slices
 *       without the organ train the object score.
 * </ol>
 *
 * Prompts are drawn from per-sample seeds (and the round), so a step does not depend on how a batch
 * is split. Each chunk is one clip of batch 1; the losses of a batch are averaged.
 */
public final class SequenceRounds {

    /** Seed stream of the choice of corrected slices and their clicks (apart from the prompted slice's rounds). */
    private static final long CORRECTED_STREAM = 1000;

    /** The name of SAM 2's loss among the training losses. */
    public static final String SAM2_LOSS = "sam2";

    /**
     * A step's loss (in the autograd graph), the mean Dice of its last masks where the organ is, and
     * the activation checkpoints to back-propagate after the loss (empty without checkpointing).
     */
    public record Outcome(NDArray loss, double dice, List<ActivationCheckpoints> checkpoints) {

        /** After the loss's backward, inside the same gradient collector: the checkpointed encoder blocks. */
        public void backwardCheckpoints() {
            for (ActivationCheckpoints c : checkpoints) {
                c.backward();
            }
        }
    }

    private final Sam2Model model;
    private final SegmentationLoss samLoss;
    private final int correctiveRounds;
    private final int correctedSlices;
    private final boolean randomPromptSlice;
    private final boolean checkpointing;

    /**
     * @param loss {@value #SAM2_LOSS} or a SAM loss name ({@link Losses#byName})
     * @param correctedSlices other slices per chunk, drawn at random, that also get the corrective rounds
     * @param checkpointing recompute the Hiera blocks' activations in the backward instead of keeping them
     */
    public SequenceRounds(Sam2Model model, String loss, int correctiveRounds, int correctedSlices, boolean randomPromptSlice,
            boolean checkpointing) {
        if (correctedSlices > 0 && correctiveRounds == 0) {
            throw new MedsaException("corrected slices need at least one corrective round");
        }
        this.model = model;
        this.checkpointing = checkpointing;
        this.samLoss = SAM2_LOSS.equals(loss) ? null : Losses.byName(loss);
        this.correctiveRounds = correctiveRounds;
        this.correctedSlices = correctedSlices;
        this.randomPromptSlice = randomPromptSlice;
    }

    /**
     * The mean loss over {@code samples} (chunks of slices at their native size).
     *
     * @param seeds one seed per sample
     * @param useBox whether the first prompt is a box (else a click)
     */
    public Outcome run(List<Sample> samples, long[] seeds, boolean useBox, NDManager manager, boolean training) {
        NDArray total = null;
        double dice = 0;
        List<ActivationCheckpoints> checkpoints = new ArrayList<>();
        for (int i = 0; i < samples.size(); i++) {
            int s = model.imageSize() / 4;
            SamBatch b = SamBatch.prepare(model.geometry(), new int[] {s, s}, List.of(samples.get(i)), manager);
            ActivationCheckpoints c = checkpointing && training ? new ActivationCheckpoints() : null;
            Outcome o = clip(b, seeds[i], useBox, training, c);
            if (c != null) {
                checkpoints.add(c);
            }
            total = total == null ? o.loss() : total.add(o.loss());
            dice += o.dice();
        }
        return new Outcome(Ops.div(total, samples.size()), dice / samples.size(), checkpoints);
    }

    private Outcome clip(SamBatch b, long seed, boolean useBox, boolean training, ActivationCheckpoints checkpoints) {
        NDManager m = b.images().getManager();
        int frames = (int) b.size();
        NDArray masks = b.masks(); // (T, S, S) in the input frame
        float[] areas = masks.sum(new int[] {1, 2}).toFloatArray();
        List<Integer> present = new ArrayList<>();
        for (int t = 0; t < frames; t++) {
            if (areas[t] > 0) {
                present.add(t);
            }
        }
        if (present.isEmpty()) {
            throw new MedsaException("a training chunk without the organ on any slice has nothing to prompt");
        }
        int cond = randomPromptSlice ? present.get(new SplittableRandom(seed).nextInt(present.size())) : present.get(0);
        Sam2Model.ImageFeatures all = model.encodeImage(null, b.images(), training, checkpoints);
        Map<Integer, Sam2Model.FrameMemory> condMemory = new LinkedHashMap<>();
        Map<Integer, Sam2Model.FrameMemory> nonCond = new LinkedHashMap<>();
        List<Integer> order = new ArrayList<>();
        order.add(cond);
        for (int t = 0; t < frames; t++) {
            if (t != cond) {
                order.add(t);
            }
        }
        // the tracked slices that get corrective clicks, drawn without replacement from the sample's seed
        List<Integer> others = new ArrayList<>(order.subList(1, order.size()));
        SplittableRandom pick = new SplittableRandom(Seeds.mix(seed, CORRECTED_STREAM));
        Set<Integer> corrected = new HashSet<>();
        while (corrected.size() < Math.min(correctedSlices, others.size())) {
            corrected.add(others.remove(pick.nextInt(others.size())));
        }
        NDArray total = null;
        double dice = 0;
        for (int t : order) {
            Sam2Model.ImageFeatures ft = frame(all, t);
            NDArray target = b.masks().get(t + ":" + (t + 1)).expandDims(1); // (1, 1, S, S)
            NDArray lowTarget = b.lowResTargets().get(t + ":" + (t + 1));
            Sam2Model.MemoryBank bank = new Sam2Model.MemoryBank(condMemory, nonCond, frames);
            NDArray pix = model.conditionOnMemory(null, t, t == cond, ft, bank, false, training);
            Sam2Model.HeadsOutput h;
            NDArray loss;
            if (t == cond) {
                NDArray slice = masks.get(t + ":" + (t + 1));
                PromptBatch prompt = firstPrompt(slice, seed, useBox);
                h = heads(pix, ft, prompt, null, true, training);
                Corrected c = correct(pix, ft, slice, prompt, h, frameLoss(h, target, lowTarget), seed, true, training, target,
                        lowTarget);
                h = c.heads();
                loss = c.loss();
            } else {
                h = model.forwardSamHeads(null, pix, null, null, null, ft.highRes(), model.useMultimask(false, 0), training);
                loss = frameLoss(h, target, lowTarget);
                if (corrected.contains(t)) {
                    Corrected c = correct(pix, ft, masks.get(t + ":" + (t + 1)), null, h, loss,
                            Seeds.mix(seed, CORRECTED_STREAM + t + 1), false, training, target, lowTarget);
                    h = c.heads();
                    loss = c.loss();
                }
            }
            total = total == null ? loss : total.add(loss);
            if (areas[t] > 0) {
                dice += dice(h.highResMasks(), target);
            }
            boolean prompted = t == cond || corrected.contains(t);
            NDArray[] mem = model.encodeNewMemory(null, ft, h.highResMasks(), h.objectScoreLogits(), prompted, training);
            (prompted ? condMemory : nonCond).put(t, new Sam2Model.FrameMemory(mem[0], mem[1], h.objPtr()));
        }
        return new Outcome(Ops.div(total, frames), dice / present.size(), List.of());
    }

    /** A slice's last SAM heads output after its corrective rounds, and its loss (the mean over rounds). */
    private record Corrected(Sam2Model.HeadsOutput heads, NDArray loss) {}

    /**
     * The corrective rounds of one slice: each round adds a click sampled from the error of the
     * previous masks (seeded by {@code stream} and the round) to the slice's clicks ({@code prompt},
     * null for none yet) and runs the heads again with the previous low-res logits as mask input.
     *
     * @param loss the loss of the slice's first output
     */
    private Corrected correct(NDArray pix, Sam2Model.ImageFeatures ft, NDArray slice, PromptBatch prompt,
            Sam2Model.HeadsOutput first, NDArray loss, long stream, boolean initialCond, boolean training, NDArray target,
            NDArray lowTarget) {
        Sam2Model.HeadsOutput h = first;
        for (int r = 0; r < correctiveRounds; r++) {
            Seeds.seedEngine(Seeds.mix(stream, r + 1));
            PromptBatch click = ClickSampler.correctiveClicks(slice, h.highResMasks().get(":, 0").stopGradient(), false);
            prompt = prompt == null ? click : prompt.append(click);
            h = heads(pix, ft, prompt, h.lowResMasks().stopGradient(), initialCond, training);
            loss = loss.add(frameLoss(h, target, lowTarget));
        }
        return new Corrected(h, Ops.div(loss, correctiveRounds + 1));
    }

    /** A click or a jittered box on the prompted slice, drawn from the sample's seed (round 0). */
    private static PromptBatch firstPrompt(NDArray slice, long seed, boolean useBox) {
        Seeds.seedEngine(Seeds.mix(seed, 0));
        if (!useBox) {
            return ClickSampler.randomPositiveClicks(slice, 1);
        }
        // SAM 2 takes a box as its two corners, labels 2 and 3
        NDArray box = BoxSampler.jitteredBoxes(slice, BoxSampler.JITTER_FRACTION, BoxSampler.JITTER_MAX_SHIFT); // (1, 4)
        NDArray corners = box.reshape(1, 2, 2);
        NDArray labels = slice.getManager().create(new float[] {2, 3}, new Shape(1, 2));
        return new PromptBatch(corners, labels, null);
    }

    /** SAM heads on a prompted slice: {@code initialCond} for the chunk's prompted slice, false for a corrected tracked one. */
    private Sam2Model.HeadsOutput heads(NDArray pix, Sam2Model.ImageFeatures ft, PromptBatch p, NDArray maskInput,
            boolean initialCond, boolean training) {
        NDArray coords = p.points().toType(DataType.FLOAT32, false);
        NDArray labels = p.labels().toType(DataType.INT32, false);
        int n = (int) labels.getShape().get(1);
        return model.forwardSamHeads(null, pix, coords, labels, maskInput, ft.highRes(), model.useMultimask(initialCond, n),
                training);
    }

    private NDArray frameLoss(Sam2Model.HeadsOutput h, NDArray target, NDArray lowTarget) {
        if (samLoss == null) {
            return Sam2Loss.of(h, target);
        }
        NDArray present = target.reshape(1, -1).max(new int[] {1}).toType(DataType.FLOAT32, false);
        NDArray objectLoss = Losses.bceWithLogits(h.objectScoreLogits().reshape(1), present, 1.0).mean();
        NDArray maskLoss = samLoss.loss(h.lowResMultimasks(), lowTarget, h.ious()).mul(present.reshape(new Shape()));
        return maskLoss.add(objectLoss);
    }

    private static double dice(NDArray highRes, NDArray target) {
        NDArray pred = highRes.stopGradient().gt(0).toType(DataType.FLOAT32, false);
        float inter = pred.mul(target).sum().getFloat();
        float sum = pred.sum().getFloat() + target.sum().getFloat();
        return sum == 0 ? 1 : 2 * inter / sum;
    }

    private static Sam2Model.ImageFeatures frame(Sam2Model.ImageFeatures all, int t) {
        String range = t + ":" + (t + 1);
        NDArray[] hr = all.highRes() == null ? null : new NDArray[] {all.highRes()[0].get(range), all.highRes()[1].get(range)};
        return new Sam2Model.ImageFeatures(hr, all.top().get(range), all.topPos());
    }
}
