package org.medsa.train.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.medsa.adapters.MedsaModel;
import org.medsa.core.Seeds;
import org.medsa.core.geometry.ImageFrame;
import org.medsa.core.geometry.InputGeometry;
import org.medsa.core.modeling.Sam;
import org.medsa.core.nn.Ops;
import org.medsa.core.predictor.RgbImage;
import org.medsa.data.transforms.Sample;
import org.medsa.train.eval.Evaluator;
import org.medsa.train.eval.PromptSetting;
import org.medsa.train.eval.PromptedSegmenter;
import org.medsa.train.prompts.BoxSampler;
import org.medsa.train.prompts.ClickSampler;
import org.medsa.train.prompts.PromptBatch;

/**
 * The keep-best score during training: {@code medsa eval}'s 1-point Dice, on a fixed, seeded
 * subset of the validation samples (spec errata 8). The targets of one image are segmented
 * together with the clicks the {@link Evaluator} draws for that image (same seed), through the
 * model's input geometry; masks are mapped back to the image and compared with the targets there;
 * Dice is pooled per image id and {@link TrainingData#organ organ} (one organ of one volume for
 * MSD data: the per-volume Dice evaluation reports), averaged per organ, then over organs. With every sample selected and
 * the evaluation's seed, it equals the evaluation's 1-point mean.
 *
 * <p>For chunks of D slices (SD-Trans) the D slices are encoded together, as in training.
 */
public final class Validator implements Trainer.Validation {

    private static final List<PromptSetting> ONE_CLICK = List.of(PromptSetting.parse("1-point"));

    private final Sam model;
    private final TrainingData data;
    private final long[] indices;
    private final long seed;

    /**
     * @param maxSamples how many samples to score (a seeded subset); 0 or less: all
     */
    public Validator(Sam model, TrainingData data, int maxSamples, long seed) {
        this.model = model;
        this.data = data;
        int n = (int) data.size();
        int[] order = Trainer.permutation(n, seed, -1);
        int k = maxSamples > 0 ? Math.min(maxSamples, n) : n;
        this.indices = new long[k];
        for (int i = 0; i < k; i++) {
            indices[i] = order[i];
        }
        Arrays.sort(indices);
        this.seed = seed;
    }

    /** Number of samples scored. */
    public int samples() {
        return indices.length;
    }

    /** Mean over groups of the pooled Dice (masks thresholded at logit 0). */
    public double dice() {
        if (indices.length == 0) {
            return Double.NaN;
        }
        Map<String, long[]> pooled = new LinkedHashMap<>(); // volume + organ -> {intersection, predicted + truth}
        NDArray any = model.stateDictParameters().values().iterator().next().getArray();
        try (NDManager scope = any.getManager().newSubManager(any.getDevice());
                PromptedSegmenter segmenter = new PromptedSegmenter(model, scope)) {
            if (data.depth() > 1) {
                for (long index : indices) {
                    Sample s = data.sample(index);
                    Seeds.seedEngine(Seeds.mix(Seeds.validation(seed), index));
                    pool(pooled, data.image(index).id() + "\u0000" + data.organ(index), s, chunk(scope, s));
                }
            } else {
                // the targets of one image together, with the clicks evaluation draws for that image
                Map<TrainingData.ImageKey, List<Long>> byImage = new LinkedHashMap<>();
                for (long index : indices) {
                    byImage.computeIfAbsent(data.image(index), k -> new ArrayList<>()).add(index);
                }
                for (Map.Entry<TrainingData.ImageKey, List<Long>> e : byImage.entrySet()) {
                    List<Long> members = e.getValue();
                    Sample first = data.sample(members.get(0));
                    int plane = first.height() * first.width();
                    float[] targets = new float[members.size() * plane];
                    List<Sample> samples = new ArrayList<>();
                    for (int m = 0; m < members.size(); m++) {
                        Sample s = m == 0 ? first : data.sample(members.get(m));
                        System.arraycopy(s.target(), 0, targets, m * plane, plane);
                        samples.add(s);
                    }
                    RgbImage image = RgbImage.fromPlanes(first.image(), first.channels(), first.height(), first.width());
                    Evaluator.reseed(seed, e.getKey().id(), e.getKey().slice());
                    boolean[][] masks = segmenter.segment(image, targets, members.size(), ONE_CLICK).get(0);
                    for (int m = 0; m < members.size(); m++) {
                        pool(pooled, e.getKey().id() + "\u0000" + data.organ(members.get(m)), samples.get(m),
                                new boolean[][] {masks[m]});
                    }
                }
            }
        }
        // per (volume, organ) Dice, averaged per organ, then over organs: EvalReport.meanDice
        Map<String, double[]> perOrgan = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : pooled.entrySet()) {
            long[] acc = e.getValue();
            double dice = acc[1] == 0 ? 1.0 : 2.0 * acc[0] / acc[1]; // nothing there and nothing predicted: perfect
            double[] sum = perOrgan.computeIfAbsent(e.getKey().substring(e.getKey().indexOf('\u0000') + 1), k -> new double[2]);
            sum[0] += dice;
            sum[1]++;
        }
        double total = 0;
        for (double[] sum : perOrgan.values()) {
            total += sum[0] / sum[1];
        }
        return total / perOrgan.size();
    }

    private static void pool(Map<String, long[]> pooled, String group, Sample s, boolean[][] predicted) {
        long[] acc = pooled.computeIfAbsent(group, g -> new long[2]);
        int plane = s.height() * s.width();
        for (int z = 0; z < s.depth(); z++) {
            for (int p = 0; p < plane; p++) {
                boolean t = s.target()[z * plane + p] > 0.5f;
                boolean m = predicted[z][p];
                acc[0] += t && m ? 1 : 0;
                acc[1] += (t ? 1 : 0) + (m ? 1 : 0);
            }
        }
    }

    /**
     * A chunk of D slices encoded together (SD-Trans); each slice with foreground gets one click
     * sampled on its own pixels, slices without foreground are predicted empty.
     */
    private boolean[][] chunk(NDManager scope, Sample s) {
        int d = s.depth();
        int h = s.height();
        int w = s.width();
        int plane = h * w;
        int imagePlane = s.channels() * plane;
        InputGeometry geometry = model.geometry();
        ImageFrame frame = geometry.frame(h, w);
        List<RgbImage> slices = new ArrayList<>();
        for (int z = 0; z < d; z++) {
            float[] chw = new float[imagePlane];
            System.arraycopy(s.image(), z * imagePlane, chw, 0, imagePlane);
            slices.add(RgbImage.fromPlanes(chw, s.channels(), h, w));
        }
        boolean[][] out = new boolean[d][plane];
        Ops.noGrad(() -> {
            try (NDManager m = scope.newSubManager()) {
                NDArray input = geometry.modelInputs(m, slices);
                NDArray emb = ((MedsaModel) model).encodeVolume(null, input, d, false, null);
                NDArray truth = m.create(s.target(), new Shape(d, h, w));
                PromptBatch clicks = ClickSampler.randomPositiveClicks(truth, 1);
                Sam.DecoderOutput p = model.decode(null, emb, frame.toInput(clicks.points()), clicks.labels(), null, null, true,
                        false);
                NDArray logits = frame.masksToOriginal(PromptedSegmenter.bestByIou(p)).squeeze(1);
                NDArray present = BoxSampler.nonEmpty(truth).reshape(d, 1, 1);
                boolean[] all = logits.gt(0).logicalAnd(present).toBooleanArray();
                for (int z = 0; z < d; z++) {
                    System.arraycopy(all, z * plane, out[z], 0, plane);
                }
            }
            return null;
        });
        return out;
    }
}
