package org.medsa.data.geometry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class AffineOrientationTest {

    @Test
    void axisCodesOfHandMadeAffines() {
        assertEquals("RAS", Affine.identity().orientationCode());
        assertEquals("LAS", Affine.diagonal(-1, 1, 1, 0, 0, 0).orientationCode());
        assertEquals("LPS", Affine.diagonal(-0.7, -0.7, 5, 0, 0, 0).orientationCode());
        // columns: i -> -z (I), j -> +x (R), k -> -y (P)
        Affine permuted = Affine.ofRowMajor(0, 2, 0, 0, 0, 0, -3, 0, -1, 0, 0, 0);
        assertEquals("IRP", permuted.orientationCode());
        // 20 degrees oblique about z stays closest to RAS; 60 degrees turns i towards A
        double a = Math.toRadians(20), b = Math.toRadians(60);
        assertEquals("RAS", Affine.ofRowMajor(Math.cos(a), -Math.sin(a), 0, 0, Math.sin(a), Math.cos(a), 0, 0, 0, 0, 1, 0)
                .orientationCode());
        assertEquals("ALS", Affine.ofRowMajor(Math.cos(b), -Math.sin(b), 0, 0, Math.sin(b), Math.cos(b), 0, 0, 0, 0, 1, 0)
                .orientationCode());
    }

    @Test
    void inverseUndoesTheTransform() {
        Affine a = Affine.ofRowMajor(0.9, 0.1, 0, 5, -0.2, 1.1, 0.3, -7, 0, 0.05, 2.5, 11);
        Affine product = a.multiply(a.inverse());
        assertEquals(true, product.approximatelyEquals(Affine.identity(), 1e-12));
        double[] p = a.apply(1, 2, 3);
        // by hand: row 0 = 0.9 + 0.2 + 0 + 5
        assertArrayEquals(new double[] {6.1, -7 - 0.2 + 2.2 + 0.9, 11 + 0.1 + 7.5}, p, 1e-12);
        assertArrayEquals(new double[] {1, 2, 3}, a.inverse().apply(p[0], p[1], p[2]), 1e-12);
    }

    @Test
    void spacingIsTheColumnLength() {
        Affine a = Affine.ofRowMajor(0, 0, 3, 0, 0.6, 0, 0, 0, 0, -0.8, 0, 0);
        assertArrayEquals(new double[] {0.6, 0.8, 3}, a.spacing(), 1e-12);
        // by cofactors along the first row: 3 * (0.6 * -0.8 - 0 * 0)
        assertEquals(-1.44, a.determinant(), 1e-12);
    }
}
