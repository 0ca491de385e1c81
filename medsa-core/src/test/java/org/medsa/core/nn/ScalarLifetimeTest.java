package org.medsa.core.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Scalars on differentiable paths must outlive the backward pass: DJL's {@code x.mul(2.0)} backs
 * its scalar with a Java direct buffer it frees at once, which autograd reads later. {@link Ops}'
 * scalar helpers keep the scalar in PyTorch's memory; this checks their gradients after the
 * garbage collector has had every chance to reclaim buffers and the memory has been reused.
 */
class ScalarLifetimeTest {

    @Test
    void gradientsThroughScalarOpsSurviveGarbageCollection() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = Ops.array(m, new float[] {1f, 2f, 3f, 4f}, new Shape(4));
            x.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray y = Ops.mul(x, 3.0);
                y = Ops.div(y, 0.5);                     // 6x
                y = Ops.pow(y, 2.0);                     // 36x^2
                y = Ops.maximum(y, 50.0);                // x=1 → 50 (no gradient), others 36x^2
                NDArray loss = Ops.minimum(y, 1000.0).sum(); // x=4 → 576, kept
                churn();
                gc.backward(loss);
            }
            float[] g = x.getGradient().toFloatArray();
            assertEquals(0f, g[0], 1e-4f);         // clamped by maximum
            assertEquals(72f * 2, g[1], 1e-3f);     // d(36x²)/dx = 72x
            assertEquals(72f * 3, g[2], 1e-3f);
            assertEquals(72f * 4, g[3], 1e-3f);
        }
    }

    /** Frees unreachable direct buffers and reuses their memory. */
    private static void churn() throws InterruptedException {
        List<ByteBuffer> keep = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            System.gc();
            ByteBuffer b = ByteBuffer.allocateDirect(1 << 16);
            for (int j = 0; j < b.capacity(); j += 4) {
                b.putFloat(j, Float.NaN);
            }
            keep.add(b);
            Thread.sleep(5);
        }
    }
}
