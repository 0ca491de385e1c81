package org.medsa.core.predictor;

import java.util.ArrayList;
import java.util.List;
import org.medsa.core.MedsaException;

/**
 * A prompt in original image pixels: clicks (x, y, polarity 1 foreground / 0 background, SAM's
 * point label), an optional box (x0, y0, x1, y1) and an optional previous low-res mask (logits).
 */
public final class Prompt {

    /** One click; {@code polarity} is 1 for foreground, 0 for background. */
    public record Point(double x, double y, int polarity) {}

    private final List<Point> points = new ArrayList<>();
    private double[] box;
    private float[] maskInput;
    private int maskH;
    private int maskW;

    /**
     * Adds a click at (x, y) = (column, row) in image pixels; polarity 1 foreground, 0 background.
     *
     * @throws MedsaException for another polarity
     */
    public Prompt point(double x, double y, int polarity) {
        if (polarity != 0 && polarity != 1) {
            throw new MedsaException("point (" + x + ", " + y + ") has polarity " + polarity
                    + "; use 1 for foreground or 0 for background");
        }
        points.add(new Point(x, y, polarity));
        return this;
    }

    /** Sets the box (x0, y0, x1, y1) in image pixels, corners included (x0 ≤ x1, y0 ≤ y1). */
    public Prompt box(double x0, double y0, double x1, double y1) {
        this.box = new double[] {x0, y0, x1, y1};
        return this;
    }

    /** The low-res logits of a previous round, (h, w) row-major. */
    public Prompt maskInput(float[] logits, int h, int w) {
        if (logits.length != h * w) {
            throw new MedsaException("mask input of " + h + "x" + w + " needs " + h * w + " values, got " + logits.length);
        }
        this.maskInput = logits;
        this.maskH = h;
        this.maskW = w;
        return this;
    }

    /** The clicks in the order they were added (the live list, not a copy). */
    public List<Point> points() {
        return points;
    }

    /** The box (x0, y0, x1, y1) in image pixels, or null if none was set. */
    public double[] box() {
        return box;
    }

    /** The previous low-res logits, (h, w) row-major, or null if none were set. */
    public float[] maskInput() {
        return maskInput;
    }

    /** Rows of the mask input (0 if none was set). */
    public int maskHeight() {
        return maskH;
    }

    /** Columns of the mask input (0 if none was set). */
    public int maskWidth() {
        return maskW;
    }

    /** True if the prompt has no click, no box and no mask input. */
    public boolean isEmpty() {
        return points.isEmpty() && box == null && maskInput == null;
    }

    /**
     * Checks the prompt against an image of (h, w): coordinates inside [0, w] × [0, h], a box with
     * x0 ≤ x1 and y0 ≤ y1, a finite mask input.
     *
     * @throws MedsaException naming the offending click or box
     */
    public void validate(int h, int w) {
        for (Point p : points) {
            if (!Double.isFinite(p.x()) || !Double.isFinite(p.y()) || p.x() < 0 || p.y() < 0 || p.x() > w || p.y() > h) {
                throw new MedsaException("prompt outside the image: point (" + p.x() + ", " + p.y()
                        + ") is not within the " + w + "x" + h + " (width x height) image");
            }
        }
        if (maskInput != null) {
            for (float v : maskInput) {
                if (!Float.isFinite(v)) {
                    throw new MedsaException("the mask input holds NaN or infinite values");
                }
            }
        }
        if (box != null) {
            for (double v : box) {
                if (!Double.isFinite(v)) {
                    throw new MedsaException("box has a non-finite coordinate");
                }
            }
            if (box[0] > box[2] || box[1] > box[3]) {
                throw new MedsaException("box (" + box[0] + ", " + box[1] + ", " + box[2] + ", " + box[3]
                        + ") must have x0 <= x1 and y0 <= y1");
            }
            if (box[0] < 0 || box[1] < 0 || box[2] > w || box[3] > h) {
                throw new MedsaException("prompt outside the image: box (" + box[0] + ", " + box[1] + ", " + box[2]
                        + ", " + box[3] + ") is not within the " + w + "x" + h + " (width x height) image");
            }
        }
    }
}
