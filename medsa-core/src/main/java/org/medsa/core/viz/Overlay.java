package org.medsa.core.viz;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.medsa.core.io.AtomicFiles;
import org.medsa.core.predictor.Prompt;
import org.medsa.core.predictor.RgbImage;

/** Pictures to look at: a mask blended over its image with the prompt drawn on top. */
public final class Overlay {

    private static final Color MASK = new Color(30, 144, 255);
    private static final Color TRUTH = new Color(255, 200, 0);

    private Overlay() {}

    /**
     * The image with {@code mask} (H·W, row-major) tinted blue and outlined, the optional
     * {@code truth} outlined in yellow, and the prompt's clicks (green foreground, red
     * background) and box.
     */
    public static BufferedImage render(RgbImage image, boolean[] mask, boolean[] truth, Prompt prompt) {
        int h = image.height();
        int w = image.width();
        BufferedImage out = image.toBufferedImage();
        if (mask != null) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    if (mask[y * w + x]) {
                        int p = out.getRGB(x, y);
                        int r = ((p >> 16) & 0xff) * 5 / 10 + MASK.getRed() * 5 / 10;
                        int g = ((p >> 8) & 0xff) * 5 / 10 + MASK.getGreen() * 5 / 10;
                        int b = (p & 0xff) * 5 / 10 + MASK.getBlue() * 5 / 10;
                        out.setRGB(x, y, (r << 16) | (g << 8) | b);
                    }
                }
            }
            outline(out, mask, MASK.brighter());
        }
        if (truth != null) {
            outline(out, truth, TRUTH);
        }
        if (prompt != null) {
            Graphics2D g = out.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            float stroke = Math.max(1f, Math.min(h, w) / 150f);
            g.setStroke(new BasicStroke(stroke));
            if (prompt.box() != null) {
                double[] b = prompt.box();
                g.setColor(Color.GREEN);
                g.drawRect((int) Math.round(b[0]), (int) Math.round(b[1]),
                        (int) Math.round(b[2] - b[0]), (int) Math.round(b[3] - b[1]));
            }
            int r = (int) Math.max(2, Math.min(h, w) / 40.0);
            for (Prompt.Point p : prompt.points()) {
                int cx = (int) Math.round(p.x());
                int cy = (int) Math.round(p.y());
                g.setColor(p.polarity() == 1 ? new Color(0, 200, 0) : new Color(220, 0, 0));
                g.fillOval(cx - r, cy - r, 2 * r, 2 * r);
                g.setColor(Color.WHITE);
                g.drawOval(cx - r, cy - r, 2 * r, 2 * r);
            }
            g.dispose();
        }
        return out;
    }

    private static void outline(BufferedImage out, boolean[] m, Color c) {
        int h = out.getHeight();
        int w = out.getWidth();
        int rgb = c.getRGB() & 0xffffff;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                if (!m[y * w + x]) {
                    continue;
                }
                boolean edge = x == 0 || y == 0 || x == w - 1 || y == h - 1
                        || !m[y * w + x - 1] || !m[y * w + x + 1] || !m[(y - 1) * w + x] || !m[(y + 1) * w + x];
                if (edge) {
                    out.setRGB(x, y, rgb);
                }
            }
        }
    }

    /** Nearest-neighbour enlargement by an integer factor (pictures of small images stay crisp). */
    public static BufferedImage scale(BufferedImage img, int factor) {
        if (factor <= 1) {
            return img;
        }
        BufferedImage big = new BufferedImage(img.getWidth() * factor, img.getHeight() * factor, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = big.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
        g.drawImage(img, 0, 0, img.getWidth() * factor, img.getHeight() * factor, null);
        g.dispose();
        return big;
    }

    /** {@link #scale}d so the longer side is at least {@code minSide} pixels. */
    public static BufferedImage forViewing(BufferedImage img, int minSide) {
        int longest = Math.max(img.getWidth(), img.getHeight());
        return scale(img, longest >= minSide ? 1 : (minSide + longest - 1) / longest);
    }

    /** A binary mask as an 8-bit gray PNG, 0 or 255. */
    public static BufferedImage maskImage(boolean[] mask, int h, int w) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        byte[] data = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
        for (int i = 0; i < mask.length; i++) {
            data[i] = mask[i] ? (byte) 255 : 0;
        }
        return img;
    }

    /**
     * A label map as an 8-bit gray image (h × w): the label values, or 0/255 when {@code binary}
     * (for masks that hold label 1 only, so that they are visible).
     */
    public static BufferedImage labelImage(int[] labels, int h, int w, boolean binary) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        byte[] data = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
        for (int i = 0; i < labels.length; i++) {
            data[i] = (byte) (binary && labels[i] != 0 ? 255 : labels[i]);
        }
        return img;
    }

    /** Gray levels (h × w, row-major) as an 8-bit gray image. */
    public static BufferedImage grayImage(byte[] gray, int h, int w) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        System.arraycopy(gray, 0, ((DataBufferByte) img.getRaster().getDataBuffer()).getData(), 0, gray.length);
        return img;
    }

    /** An image encoded as PNG bytes. */
    public static byte[] png(BufferedImage img) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            encodePng(img, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Writes a PNG atomically, creating parent folders. */
    public static void writePng(BufferedImage img, Path file) {
        AtomicFiles.write(file, out -> encodePng(img, out));
    }

    /**
     * PNG-encodes into {@code out} through a memory cache: ImageIO's default file cache would put a
     * temporary file in the system's temporary folder, whose failure (a full disk) its shutdown hook
     * then reports with a stack trace.
     */
    private static void encodePng(BufferedImage img, OutputStream out) throws IOException {
        try (ImageOutputStream ios = new MemoryCacheImageOutputStream(out)) {
            if (!ImageIO.write(img, "png", ios)) {
                throw new IOException("no PNG writer available");
            }
        }
    }
}
