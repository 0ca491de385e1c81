package org.medsa.core.predictor;

import java.util.Arrays;
import org.medsa.core.MedsaException;
import org.medsa.core.geometry.ImageFrame;

/**
 * An image's embedding as host values, detached from any model run: what {@link
 * SamPredictor#exportEmbedding} returns and {@link SamPredictor#setEmbedding} takes, so that a
 * caller (the server's embedding cache) can keep, store and reuse encoder outputs.
 *
 * @param frame where the image sat in the model input (its size and the resized size)
 * @param shape the embedding's shape, (1, C, h, w)
 * @param values the embedding, row-major
 */
public record ImageEmbedding(ImageFrame frame, long[] shape, float[] values) {

    /** Checks that {@code values} fills {@code shape}. */
    public ImageEmbedding {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        if (shape.length != 4 || shape[0] != 1 || n != values.length) {
            throw new MedsaException("an embedding is (1, C, h, w) with C·h·w values, got shape " + Arrays.toString(shape)
                    + " and " + values.length + " values");
        }
        shape = shape.clone();
    }

    /** The shape, (1, C, h, w). */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Bytes of the values (for cache budgets). */
    public long bytes() {
        return 4L * values.length;
    }
}
