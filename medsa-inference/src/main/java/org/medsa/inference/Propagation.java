package org.medsa.inference;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.IntPredicate;
import org.medsa.core.MedsaException;
import org.medsa.core.predictor.Prompt;
import org.medsa.core.predictor.SamPrediction;
import org.medsa.data.volume.SliceMasks;

/**
 * Carries a mask from one slice to its neighbours: each next slice is prompted by the previous
 * slice's mask — its tight box and, when known, its low-res logits as the mask prompt — and decoded
 * with one mask output; it stops where the mask vanishes, where the predicted IoU falls below an
 * optional minimum, at the volume's edge, at a slice the caller reserves, or after {@code
 * maxSlices} slices in a direction. (A box prompt rarely gives an empty mask: past the end of a
 * structure SAM tends to keep a small blob with a lower predicted IoU, which the minimum catches;
 * {@code docs/server.md} gives measured values.) One box on one slice becomes a
 * 3D structure. {@link VolumeSegmenter} ({@code Options.propagate}) and the server use this same
 * code, so the same seed gives the same masks everywhere.
 *
 * <p>"Up" is towards higher slice indices, "down" towards lower ones.
 */
public final class Propagation {

    /** Which neighbours to visit. */
    public enum Direction {
        /** Both ways from the seed. */
        BOTH,
        /** Towards higher slice indices. */
        UP,
        /** Towards lower slice indices. */
        DOWN;

        /**
         * {@code both}, {@code up} or {@code down} (any case).
         *
         * @throws MedsaException for anything else
         */
        public static Direction parse(String s) {
            String v = s == null ? "" : s.trim().toLowerCase(Locale.ROOT);
            switch (v) {
                case "both": return BOTH;
                case "up": return UP;
                case "down": return DOWN;
                default: throw new MedsaException("propagation direction must be both, up or down, got '" + s + "'");
            }
        }
    }

    /**
     * Segments one slice from a prompt: the caller decides how the slice gets its embedding (the
     * encoder, or a cache). The prediction must be a single mask ({@code multimask} false).
     */
    @FunctionalInterface
    public interface SliceDecoder {
        /** The prediction for {@code prompt} on slice {@code slice}. */
        SamPrediction decode(int slice, Prompt prompt);
    }

    /**
     * One propagated slice.
     *
     * @param slice its index
     * @param prompt the prompt it was decoded from
     * @param mask the mask (rows × cols)
     * @param area foreground pixels of the mask
     * @param iou the predicted IoU
     * @param lowRes the low-res logits (what the next slice is prompted with)
     * @param logits the mask logits at the slice's size (rows × cols), before the threshold
     */
    public record Step(int slice, Prompt prompt, boolean[] mask, int area, float iou, float[] lowRes, float[] logits) {}

    private Propagation() {}

    /**
     * The prompt for the neighbour of a slice with {@code mask}: its tight box in (x = column,
     * y = row) pixels, plus {@code lowRes} as the mask prompt when not null; null for an empty mask.
     */
    public static Prompt promptFrom(boolean[] mask, int height, int width, float[] lowRes, int lowHeight, int lowWidth) {
        SliceMasks.Box box = SliceMasks.tightBox(mask, height, width);
        if (box == null) {
            return null;
        }
        Prompt p = new Prompt().box(box.col0(), box.row0(), box.col1(), box.row1());
        if (lowRes != null) {
            p.maskInput(lowRes, lowHeight, lowWidth);
        }
        return p;
    }

    /**
     * Propagates from slice {@code from} whose mask is {@code seed}.
     *
     * @param seedLowRes the seed's low-res logits, or null (then the first neighbours get the box alone)
     * @param lowHeight rows of the low-res logits (the model's mask-prompt size)
     * @param lowWidth columns of the low-res logits
     * @param height rows of a slice
     * @param width columns of a slice
     * @param slices number of slices along the axis
     * @param maxSlices at most this many new slices in each direction (at least 1)
     * @param minIou stop at a slice whose mask's predicted IoU is below this (0: never)
     * @param reserved slices not to enter (e.g. slices the user prompted); the walk stops before them
     * @return the new slices, nearest first, "down" before "up"
     * @throws MedsaException for an empty seed or bad arguments
     */
    public static List<Step> run(int from, boolean[] seed, float[] seedLowRes, int lowHeight, int lowWidth, int height, int width,
            int slices, Direction direction, int maxSlices, double minIou, IntPredicate reserved, SliceDecoder decoder) {
        if (from < 0 || from >= slices) {
            throw new MedsaException("propagation starts at slice " + from + ", outside 0.." + (slices - 1));
        }
        if (maxSlices < 1) {
            throw new MedsaException("propagation needs max slices of at least 1, got " + maxSlices);
        }
        if (!(minIou >= 0 && minIou <= 1)) {
            throw new MedsaException("propagation's minimum IoU must be within 0..1, got " + minIou);
        }
        if (promptFrom(seed, height, width, null, 0, 0) == null) {
            throw new MedsaException("nothing to propagate: slice " + from + " holds no mask of this label");
        }
        List<Step> out = new ArrayList<>();
        if (direction != Direction.UP) {
            walk(from, -1, seed, seedLowRes, lowHeight, lowWidth, height, width, slices, maxSlices, minIou, reserved, decoder,
                    out);
        }
        if (direction != Direction.DOWN) {
            walk(from, +1, seed, seedLowRes, lowHeight, lowWidth, height, width, slices, maxSlices, minIou, reserved, decoder,
                    out);
        }
        return out;
    }

    private static void walk(int from, int step, boolean[] seed, float[] seedLowRes, int lowHeight, int lowWidth, int height,
            int width, int slices, int maxSlices, double minIou, IntPredicate reserved, SliceDecoder decoder, List<Step> out) {
        boolean[] mask = seed;
        float[] lowRes = seedLowRes;
        for (int n = 1, s = from + step; n <= maxSlices && s >= 0 && s < slices && !reserved.test(s); n++, s += step) {
            Prompt prompt = promptFrom(mask, height, width, lowRes, lowHeight, lowWidth);
            SamPrediction r = decoder.decode(s, prompt);
            boolean[] next = r.mask(0);
            int area = 0;
            for (boolean b : next) {
                area += b ? 1 : 0;
            }
            if (area == 0 || r.iouPredictions()[0] < minIou) {
                return; // the structure ended
            }
            lowRes = r.lowRes(0);
            mask = next;
            out.add(new Step(s, prompt, next, area, r.iouPredictions()[0], lowRes, r.masksLogits()));
        }
    }
}
