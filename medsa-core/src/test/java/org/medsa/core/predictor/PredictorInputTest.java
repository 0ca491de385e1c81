package org.medsa.core.predictor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.medsa.core.MedsaException;
import org.medsa.core.geometry.PillowResize;
import org.medsa.core.modeling.Sam;
import org.medsa.core.testing.FixtureModels;
import org.medsa.core.testing.Fixtures;

/** Images that cannot be read and prompts outside the image fail clearly. */
class PredictorInputTest {

    @TempDir
    Path tmp;

    @Test
    void promptsOutsideTheImageAreRefused() {
        try (NDManager m = NDManager.newBaseManager()) {
            Sam sam = FixtureModels.sam("sam_tiny", m);
            try (SamPredictor p = new SamPredictor(sam, m)) {
                p.setImage(RgbImage.fromNpy(Fixtures.npy("sam_tiny", "image.npy"), "image.npy"));
                MedsaException e = assertThrows(MedsaException.class, () -> p.predict(new Prompt().point(130, 10, 1), false));
                assertTrue(e.getMessage().contains("prompt outside the image") && e.getMessage().contains("122x90"),
                        e.getMessage());
                e = assertThrows(MedsaException.class, () -> p.predict(new Prompt().box(10, 10, 5, 20), false));
                assertTrue(e.getMessage().contains("x0 <= x1"), e.getMessage());
                e = assertThrows(MedsaException.class, () -> p.predict(new Prompt().box(-1, 0, 50, 50), false));
                assertTrue(e.getMessage().contains("prompt outside the image"), e.getMessage());
                e = assertThrows(MedsaException.class, () -> p.predict(new Prompt().maskInput(new float[16], 4, 4), false));
                assertTrue(e.getMessage().contains("32x32"), e.getMessage());
            }
        }
    }

    @Test
    void pillowResizeKeepsAConstantImageConstantAndIdentityIsACopy() {
        byte[] img = new byte[37 * 53 * 3];
        Arrays.fill(img, (byte) 173);
        byte[] down = PillowResize.resize(img, 37, 53, 3, 11, 16);
        byte[] up = PillowResize.resize(img, 37, 53, 3, 80, 128);
        for (byte b : down) {
            assertEquals((byte) 173, b);
        }
        for (byte b : up) {
            assertEquals((byte) 173, b);
        }
        assertArrayEquals(img, PillowResize.resize(img, 37, 53, 3, 37, 53));
    }
}
