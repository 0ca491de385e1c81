package org.medsa.train.prompts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import org.medsa.core.MedsaException;

class TightBoxesTest {

    private static final int HEIGHT = 8;
    private static final int WIDTH = 10;

    /** Rectangle, two scattered pixels, empty, one pixel in the last corner. */
    private static boolean[][][] cases() {
        boolean[][] scattered = new boolean[HEIGHT][WIDTH];
        scattered[6][1] = true;
        scattered[0][8] = true;
        boolean[][] corner = new boolean[HEIGHT][WIDTH];
        corner[HEIGHT - 1][WIDTH - 1] = true;
        return new boolean[][][] {
            TestMasks.rectangle(HEIGHT, WIDTH, 3, 2, 7, 5), scattered, new boolean[HEIGHT][WIDTH], corner
        };
    }

    private static final float[] EXPECTED = {
        3, 2, 7, 5, //
        1, 0, 8, 6, //
        0, 0, 9, 7, // empty: the full image
        9, 7, 9, 7
    };

    @Test
    void handComputedBoxesOnANonSquareImage() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray masks = TestMasks.toArray(manager, cases());
            NDArray boxes = BoxSampler.tightBoxes(masks);
            assertEquals(new Shape(4, 4), boxes.getShape());
            assertEquals(DataType.FLOAT32, boxes.getDataType());
            assertArrayEquals(EXPECTED, boxes.toFloatArray());
            assertArrayEquals(
                    new boolean[] {true, true, false, true},
                    BoxSampler.nonEmpty(masks).toBooleanArray());
        }
    }

    @Test
    void booleanAndChannelShapedMasksGiveTheSameBoxes() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray masks = TestMasks.toArray(manager, cases());
            NDArray asBoolean = masks.gt(0.5f).reshape(4, 1, HEIGHT, WIDTH);
            assertArrayEquals(EXPECTED, BoxSampler.tightBoxes(asBoolean).toFloatArray());
        }
    }

    @Test
    void softMasksAreThresholdedAtHalf() {
        try (NDManager manager = NDManager.newBaseManager()) {
            float[] data = new float[HEIGHT * WIDTH];
            data[2 * WIDTH + 4] = 0.4f; // below the threshold: background
            data[3 * WIDTH + 5] = 0.6f;
            data[5 * WIDTH + 6] = 0.51f;
            NDArray masks = manager.create(data, new Shape(1, HEIGHT, WIDTH));
            assertArrayEquals(new float[] {5, 3, 6, 5}, BoxSampler.tightBoxes(masks).toFloatArray());
        }
    }

    @Test
    void rejectsMasksWithoutABatchAxis() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray flat = manager.zeros(new Shape(HEIGHT, WIDTH));
            assertThrows(MedsaException.class, () -> BoxSampler.tightBoxes(flat));
        }
    }
}
