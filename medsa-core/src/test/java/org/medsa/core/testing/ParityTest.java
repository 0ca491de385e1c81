package org.medsa.core.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Base of the tests that compare with the fixtures: the README's tolerance for activations,
 * embeddings, logits and IoU predictions, and one engine manager per test class.
 */
public abstract class ParityTest {

    /** |got − ref| ≤ ATOL + RTOL·|ref| (fixtures' README). */
    public static final double ATOL = 1e-4;
    public static final double RTOL = 1e-3;

    protected static NDManager manager;

    @BeforeAll
    static void openManager() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void closeManager() {
        manager.close();
    }

    /** Checks an array against a fixture file with the activation tolerance. */
    protected static double assertFixture(String what, NDArray got, String first, String... path) {
        return Tolerance.assertClose(what, Fixtures.floats(first, path), got.toFloatArray(), ATOL, RTOL);
    }

    /** Checks values against a fixture file with the activation tolerance. */
    protected static double assertFixture(String what, float[] got, String first, String... path) {
        return Tolerance.assertClose(what, Fixtures.floats(first, path), got, ATOL, RTOL);
    }

    /**
     * medsa_tiny's 3D encoder input, made from {@code thd/volume.npy} as the official training
     * loop does: MONAI (b, c, h, w, d) → ((b d), c, h, w), the channel repeated 3 times.
     */
    public static NDArray thdEncoderInput(NDManager m) {
        NDArray vol = Fixtures.npy("medsa_tiny", "thd", "volume.npy").toNDArray(m);
        long[] s = vol.getShape().getShape();
        return vol.transpose(0, 4, 1, 2, 3).reshape(s[0] * s[4], s[1], s[2], s[3]).repeat(1, 3);
    }
}
