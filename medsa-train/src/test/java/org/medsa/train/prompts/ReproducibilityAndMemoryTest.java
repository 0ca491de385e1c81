package org.medsa.train.prompts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class ReproducibilityAndMemoryTest {

    private static final int HEIGHT = 36;
    private static final int WIDTH = 52;

    /** Every sampler, flattened to the host: what a reseeded run must reproduce. */
    private static List<Function<NDArray[], NDArray[]>> samplers() {
        return List.of(
                in -> parts(ClickSampler.randomPositiveClicks(in[0], 3)),
                in -> parts(ClickSampler.randomPositiveClicks(in[0], 2, 2)),
                in -> parts(ClickSampler.negativeClicks(in[0], 2)),
                in -> new NDArray[] {BoxSampler.jitteredBoxes(in[0])},
                in -> new NDArray[] {BoxSampler.boxesAtIou(in[0], 0.5)},
                in -> new NDArray[] {BoxSampler.boxesAtOverlap(in[0], 0.75, BoxOverlap.GT_COVERAGE, 16)},
                in -> parts(ClickSampler.correctiveClicks(in[0], in[1], false)),
                in -> parts(ClickSampler.correctiveClicks(in[0], in[1], true)));
    }

    private static NDArray[] parts(PromptBatch prompts) {
        return new NDArray[] {prompts.points(), prompts.labels()};
    }

    private static NDArray[] inputs(NDManager manager) {
        boolean[][][] masks = TestMasks.randomBlobs(new Random(71), 16, HEIGHT, WIDTH);
        boolean[][][] predictions = TestMasks.randomBlobs(new Random(72), 16, HEIGHT, WIDTH);
        return new NDArray[] {
            TestMasks.toArray(manager, masks), TestMasks.toArray(manager, predictions).sub(0.5f)
        };
    }

    private static float[] draw(Function<NDArray[], NDArray[]> sampler, NDArray[] in, int seed) {
        TestMasks.seed(seed);
        List<Float> values = new ArrayList<>();
        for (NDArray array : sampler.apply(in)) {
            for (float v : array.toFloatArray()) {
                values.add(v);
            }
        }
        float[] result = new float[values.size()];
        for (int i = 0; i < result.length; i++) {
            result[i] = values.get(i);
        }
        return result;
    }

    @Test
    void sameSeedSamePromptsOtherSeedOtherPrompts() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray[] in = inputs(manager);
            List<Function<NDArray[], NDArray[]>> all = samplers();
            for (int i = 0; i < all.size(); i++) {
                float[] first = draw(all.get(i), in, 7);
                float[] again = draw(all.get(i), in, 7);
                float[] other = draw(all.get(i), in, 8);
                assertArrayEquals(first, again, "sampler " + i + " with the same seed");
                assertFalse(Arrays.equals(first, other), "sampler " + i + " with another seed");
            }
        }
    }

    /** Only the returned arrays join the caller's manager, on the masks' device; nothing piles up. */
    @Test
    void samplersLeaveOnlyTheirResultsBehind() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray[] in = inputs(manager);
            List<Function<NDArray[], NDArray[]>> all = samplers();
            int before = manager.getManagedArrays().size();
            for (int round = 0; round < 3; round++) {
                for (int i = 0; i < all.size(); i++) {
                    NDArray[] results = all.get(i).apply(in);
                    assertEquals(
                            before + results.length,
                            manager.getManagedArrays().size(),
                            "arrays left by sampler " + i);
                    for (NDArray result : results) {
                        assertEquals(in[0].getDevice(), result.getDevice());
                        result.close();
                    }
                }
            }
            NDArray iou = BoxSampler.boxIou(BoxSampler.tightBoxes(in[0]), BoxSampler.tightBoxes(in[0]));
            assertEquals(before + 3, manager.getManagedArrays().size(), "boxIou leaves only its result");
            assertEquals(16, iou.getShape().get(0));
        }
    }
}
