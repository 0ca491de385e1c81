package org.medsa.core.viz;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.awt.Color;
import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;
import org.medsa.core.predictor.RgbImage;

/** What an overlay shows, pixel by pixel on a hand-made 6x5 image. */
class OverlayTest {

    @Test
    void maskIsTintedAndOutlinedTruthOutlinedAndEnlargedCrisply() {
        int h = 5, w = 6;
        byte[] hwc = new byte[h * w * 3];
        for (int i = 0; i < h * w; i++) {
            hwc[3 * i] = (byte) 100;
            hwc[3 * i + 1] = (byte) 40;
            hwc[3 * i + 2] = (byte) 200;
        }
        boolean[] mask = new boolean[h * w];
        for (int y = 1; y <= 3; y++) {
            for (int x = 1; x <= 4; x++) {
                mask[y * w + x] = true; // a 3x4 block: its centre pixels (2, 2) and (3, 2) are interior
            }
        }
        boolean[] truth = new boolean[h * w];
        truth[0] = true; // one truth pixel at (0, 0): all edge
        BufferedImage o = Overlay.render(new RgbImage(h, w, hwc), mask, truth, null);
        // interior of the mask: half image, half (30, 144, 255), integer arithmetic
        assertEquals(rgb(100 / 2 + 30 / 2, 40 / 2 + 144 / 2, 200 / 2 + 255 / 2), o.getRGB(2, 2) & 0xffffff);
        assertEquals(o.getRGB(2, 2), o.getRGB(3, 2));
        // its border: the brighter mask colour (java.awt.Color.brighter of (30, 144, 255))
        int border = new Color(30, 144, 255).brighter().getRGB() & 0xffffff;
        assertEquals(border, o.getRGB(1, 1) & 0xffffff);
        assertEquals(border, o.getRGB(4, 3) & 0xffffff);
        // outside: the image itself; the truth pixel: yellow
        assertEquals(rgb(100, 40, 200), o.getRGB(5, 4) & 0xffffff);
        assertEquals(rgb(255, 200, 0), o.getRGB(0, 0) & 0xffffff);
        // viewing: enlarged by a whole factor (ceil(256 / 6) = 43), nearest neighbour
        BufferedImage big = Overlay.forViewing(o, 256);
        assertEquals(6 * 43, big.getWidth());
        assertEquals(5 * 43, big.getHeight());
        assertEquals(o.getRGB(2, 2), big.getRGB(2 * 43 + 21, 2 * 43));
        assertEquals(o.getRGB(1, 1), big.getRGB(43 + 42, 43 + 42));
        // a binary mask image: 255 exactly where the mask is
        BufferedImage m = Overlay.maskImage(mask, h, w);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                assertEquals(mask[y * w + x] ? 255 : 0, m.getRaster().getSample(x, y, 0));
            }
        }
    }

    private static int rgb(int r, int g, int b) {
        return (r << 16) | (g << 8) | b;
    }
}
