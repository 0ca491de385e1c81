package org.medsa.train.prompts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import org.medsa.core.MedsaException;

class PromptBatchTest {

    @Test
    void appendConcatenatesClicksAndKeepsTheBox() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray box = manager.create(new float[] {1, 2, 3, 4, 5, 6, 7, 8}, new Shape(2, 4));
            PromptBatch first =
                    new PromptBatch(
                            manager.create(new float[] {1, 1, 2, 2}, new Shape(2, 1, 2)),
                            manager.create(new float[] {1, 1}, new Shape(2, 1)),
                            box);
            PromptBatch second =
                    PromptBatch.ofClicks(
                            manager.create(new float[] {3, 3, 4, 4}, new Shape(2, 1, 2)),
                            manager.create(new float[] {0, 1}, new Shape(2, 1)));
            PromptBatch joined = first.append(second);
            assertEquals(new Shape(2, 2, 2), joined.points().getShape());
            assertArrayEquals(new float[] {1, 1, 3, 3, 2, 2, 4, 4}, joined.points().toFloatArray());
            assertArrayEquals(new float[] {1, 0, 1, 1}, joined.labels().toFloatArray());
            assertSame(box, joined.boxes());
            assertEquals(2, joined.clickCount());

            PromptBatch boxOnly = PromptBatch.ofBoxes(box);
            PromptBatch withClicks = boxOnly.append(second);
            assertSame(second.points(), withClicks.points());
            assertSame(box, withClicks.boxes());
            assertNull(joined.withBox(null).boxes());
            assertEquals(0, boxOnly.clickCount());
        }
    }

    @Test
    void rejectsInconsistentParts() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray points = manager.zeros(new Shape(2, 3, 2));
            assertThrows(MedsaException.class, () -> new PromptBatch(points, null, null));
            assertThrows(
                    MedsaException.class,
                    () -> new PromptBatch(points, manager.zeros(new Shape(2, 2)), null));
            assertThrows(
                    MedsaException.class,
                    () -> PromptBatch.ofBoxes(manager.zeros(new Shape(2, 3))));
        }
    }
}
