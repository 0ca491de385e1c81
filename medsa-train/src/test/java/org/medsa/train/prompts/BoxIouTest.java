package org.medsa.train.prompts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import org.medsa.core.MedsaException;

class BoxIouTest {

    @Test
    void handComputedIousUseInclusivePixelAreas() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray a =
                    manager.create(
                            new float[] {
                                0, 0, 9, 9, // vs a 10×10 box moved by 5: 25 / (100 + 100 − 25)
                                0, 0, 9, 9, // identical
                                0, 0, 4, 4, // disjoint
                                3, 3, 3, 3, // one pixel in a 2×2 box: 1 / 4
                                0, 0, 9, 4 // half of the box below: 50 / 100
                            },
                            new Shape(5, 4));
            NDArray b =
                    manager.create(
                            new float[] {
                                5, 5, 14, 14, //
                                0, 0, 9, 9, //
                                6, 6, 9, 9, //
                                3, 3, 4, 4, //
                                0, 0, 9, 9
                            },
                            new Shape(5, 4));
            assertArrayEquals(
                    new float[] {25f / 175f, 1f, 0f, 0.25f, 0.5f},
                    BoxSampler.boxIou(a, b).toFloatArray(),
                    1e-6f);
            assertArrayEquals(
                    new float[] {0.25f, 1f, 0f, 0.25f, 0.5f},
                    BoxSampler.boxCoverage(a, b).toFloatArray(),
                    1e-6f);
        }
    }

    @Test
    void rejectsMismatchedShapes() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray a = manager.zeros(new Shape(2, 4));
            NDArray b = manager.zeros(new Shape(3, 4));
            assertThrows(MedsaException.class, () -> BoxSampler.boxIou(a, b));
        }
    }
}
