package org.medsa.train.training;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import org.medsa.adapters.MedsaModel;
import org.medsa.core.modeling.Sam;
import org.medsa.core.nn.Ops;
import org.medsa.train.prompts.PromptBatch;
import org.medsa.train.prompts.PromptSampler;

import java.util.ArrayList;
import java.util.List;

/**
 * The keep-best score during training: mean Dice, in the model-input frame, of single-click
 * predictions on a fixed, seeded subset of the validation samples. The same samples and clicks
 * are used at every validation, so scores are comparable. (The full per-organ, per-volume
 * evaluation with HD95 is {@code medsa eval}.)
 */
public final class Validator {

    private final Sam model;
    private final TrainingData data;
    private final long[] indices;
    private final long seed;
    private final int batch;

    public Validator(Sam model, TrainingData data, int maxSamples, long seed, int batch) {
        this.model = model;
        this.data = data;
        int n = (int) data.size();
        int[] order = Trainer.permutation(n, seed, -1);
        int k = maxSamples > 0 ? Math.min(maxSamples, n) : n;
        this.indices = new long[k];
        for (int i = 0; i < k; i++) {
            indices[i] = order[i];
        }
        java.util.Arrays.sort(indices);
        this.seed = seed;
        this.batch = Math.max(1, batch);
    }

    public int samples() {
        return indices.length;
    }

    /** Mean Dice over the subset (thresholded at logit 0). */
    public double dice() {
        if (indices.length == 0) {
            return Double.NaN;
        }
        NDArray any = model.stateDictParameters().values().iterator().next().getArray();
        int depth = data.depth();
        double sum = 0;
        int count = 0;
        Engine.getInstance().setRandomSeed((int) (seed * 7919 + 13));
        try (NDManager scope = any.getManager().newSubManager(any.getDevice())) {
            for (int start = 0; start < indices.length; start += batch) {
                int end = Math.min(indices.length, start + batch);
                try (NDManager step = scope.newSubManager()) {
                    List<NDArray> images = new ArrayList<>();
                    List<NDArray> targets = new ArrayList<>();
                    for (int i = start; i < end; i++) {
                        NDList r = data.get(step, indices[i]);
                        images.add(depth == 1 ? r.get(0).expandDims(0) : r.get(0));
                        targets.add(depth == 1 ? r.get(1).expandDims(0) : r.get(1));
                    }
                    NDArray img = NDArrays.concat(new NDList(images), 0).toDevice(any.getDevice(), false);
                    NDArray tgt = NDArrays.concat(new NDList(targets), 0).toDevice(any.getDevice(), false);
                    float[] d = Ops.noGrad(() -> {
                        SamBatch b = SamBatch.prepare(model, img, tgt);
                        NDArray emb = depth > 1 ? ((MedsaModel) model).encodeVolume(null, b.images(), depth, false, null)
                                : model.encodeImage(null, b.images(), false);
                        PromptBatch p = PromptSampler.randomPositiveClicks(b.masks(), 1);
                        Sam.Prediction pred = model.decode(null, emb, p.points(), p.labels(), null, null, true, false);
                        NDArray best = org.medsa.train.eval.Evaluator.bestByIou(pred);
                        NDArray full = SamBatch.toInputFrame(model, best).squeeze(1).gt(0);
                        NDArray truth = b.masks().gt(0.5);
                        NDArray pf = full.toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
                        NDArray tf = truth.toType(ai.djl.ndarray.types.DataType.FLOAT32, false);
                        NDArray inter = pf.mul(tf).sum(new int[] {1, 2});
                        NDArray denom = pf.sum(new int[] {1, 2}).add(tf.sum(new int[] {1, 2}));
                        // both empty counts as a perfect score
                        NDArray dice = inter.mul(2).add(1e-6f).div(denom.add(1e-6f));
                        return dice.toFloatArray();
                    });
                    for (float v : d) {
                        sum += v;
                        count++;
                    }
                }
            }
        }
        return sum / count;
    }
}
