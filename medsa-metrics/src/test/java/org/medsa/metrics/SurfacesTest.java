package org.medsa.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.medsa.core.MedsaException;

class SurfacesTest {

    @Test
    void squareKeepsItsCentreOffTheSurface() {
        boolean[] square = Masks.rectangle(5, 5, 1, 1, 4, 4);
        boolean[] surface = Surfaces.of(square, new int[] {5, 5});
        assertEquals(8, Masks.count(surface));
        assertFalse(surface[2 * 5 + 2]);
        assertTrue(surface[1 * 5 + 1]);
    }

    @Test
    void usesFaceNeighboursOnlyIn2D() {
        // a plus sign: its centre has all four face neighbours but no diagonal ones; under
        // 4-connectivity erosion it stays inside (an 8-neighbour rule would put it on the surface)
        boolean[] plus = Masks.pixels(5, 5, new int[] {2, 2}, new int[] {1, 2}, new int[] {3, 2},
                new int[] {2, 1}, new int[] {2, 3});
        boolean[] surface = Surfaces.of(plus, new int[] {5, 5});
        assertFalse(surface[2 * 5 + 2]);
        assertEquals(4, Masks.count(surface));
    }

    @Test
    void usesFaceNeighboursOnlyIn3D() {
        int[] shape = {5, 5, 5};
        boolean[] m = new boolean[125];
        int centre = (2 * 5 + 2) * 5 + 2;
        m[centre] = true;
        for (int stride : new int[] {1, 5, 25}) {
            m[centre - stride] = true;
            m[centre + stride] = true;
        }
        boolean[] surface = Surfaces.of(m, shape);
        assertFalse(surface[centre]);
        assertEquals(6, Masks.count(surface));
    }

    @Test
    void outsideTheImageCountsAsBackground() {
        boolean[] full = new boolean[16];
        Arrays.fill(full, true);
        boolean[] surface = Surfaces.of(full, new int[] {4, 4});
        assertEquals(12, Masks.count(surface)); // the border ring, not nothing
        assertFalse(surface[1 * 4 + 1]);
        assertTrue(surface[0]);

        boolean[] row = {true, true, true, true, true};
        assertEquals(5, Masks.count(Surfaces.of(row, new int[] {1, 5}))); // a one-pixel-thick image is all surface
    }

    @Test
    void cubeHas26SurfaceVoxels() {
        int[] shape = {5, 5, 5};
        boolean[] cube = Masks.cuboid(shape, 1, 1, 1, 4, 4, 4);
        boolean[] surface = Surfaces.of(cube, shape);
        assertEquals(26, Masks.count(surface));
        assertFalse(surface[(2 * 5 + 2) * 5 + 2]);
        boolean[] fullCube = Masks.cuboid(new int[] {3, 3, 3}, 0, 0, 0, 3, 3, 3);
        assertEquals(26, Masks.count(Surfaces.of(fullCube, new int[] {3, 3, 3})));
    }

    @Test
    void emptyMaskHasNoSurface() {
        assertEquals(0, Masks.count(Surfaces.of(new boolean[20], new int[] {4, 5})));
    }

    @Test
    void agreesWithTheLiteralErosionDefinition() {
        Random rng = new Random(7);
        for (int trial = 0; trial < 200; trial++) {
            int[] shape = trial % 2 == 0
                    ? new int[] {1 + rng.nextInt(12), 1 + rng.nextInt(12)}
                    : new int[] {1 + rng.nextInt(6), 1 + rng.nextInt(6), 1 + rng.nextInt(6)};
            boolean[] m = Masks.random(shape, rng);
            assertArrayEquals(ReferenceMetrics.surface(m, shape), Surfaces.of(m, shape), "trial " + trial);
        }
    }

    @Test
    void rejectsAShapeThatDoesNotMatch() {
        assertThrows(MedsaException.class, () -> Surfaces.of(new boolean[10], new int[] {3, 3}));
        assertThrows(MedsaException.class, () -> Surfaces.of(new boolean[0], new int[] {0, 3}));
    }
}
