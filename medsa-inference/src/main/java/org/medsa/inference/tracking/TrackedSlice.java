package org.medsa.inference.tracking;

import java.util.Collections;
import java.util.Map;
import org.medsa.core.MedsaException;

/**
 * The masks of one slice for every tracked object: mask logits at the slice's size (rows ×
 * cols, row-major), before the threshold; a pixel belongs to an object where its logit is above 0.
 *
 * @param slice the slice index
 * @param height rows of the slice
 * @param width columns of the slice
 * @param logits object id → logits, in the order the objects were first prompted
 */
public record TrackedSlice(int slice, int height, int width, Map<Integer, float[]> logits) {

    /** Keeps the map read-only. */
    public TrackedSlice {
        logits = Collections.unmodifiableMap(logits);
    }

    /** The logits of {@code objectId}. */
    public float[] logits(int objectId) {
        float[] l = logits.get(objectId);
        if (l == null) {
            throw new MedsaException("no object " + objectId + " on slice " + slice + " (objects: " + logits.keySet() + ")");
        }
        return l;
    }

    /** The mask of {@code objectId}: logit &gt; 0. */
    public boolean[] mask(int objectId) {
        float[] l = logits(objectId);
        boolean[] m = new boolean[l.length];
        for (int i = 0; i < l.length; i++) {
            m[i] = l[i] > 0;
        }
        return m;
    }
}
