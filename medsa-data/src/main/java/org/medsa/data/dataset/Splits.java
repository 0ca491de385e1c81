package org.medsa.data.dataset;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.medsa.core.MedsaException;

/**
 * Train/validation split rules, fixed and reproducible.
 *
 * <ol>
 *   <li>If the dataset lists its validation cases (a {@code "validation"} list in
 *       {@code dataset.json}, as MONAI's BTCV {@code dataset_0.json}), that split is used as is.
 *   <li>Otherwise the cases are sorted by id, shuffled with {@code java.util.Random(seed)}, and the
 *       first {@code round(fraction * n)} become validation (at least one when n >= 2 and
 *       fraction > 0; never all of them). Sorting first makes the split independent of the listing
 *       order; the same seed and fraction always give the same split.
 * </ol>
 */
public final class Splits {

    private Splits() {}

    /** Splits {@code cases} by seed; returns [training, validation], both in id order. */
    public static <T> List<List<T>> bySeed(List<T> cases, Function<T, String> id, long seed, double fraction) {
        if (!(fraction >= 0 && fraction < 1)) {
            throw new MedsaException("validation fraction must be in [0, 1), got " + fraction);
        }
        List<T> sorted = new ArrayList<>(cases);
        sorted.sort(Comparator.comparing(id));
        List<T> shuffled = new ArrayList<>(sorted);
        Collections.shuffle(shuffled, new Random(seed));
        int n = shuffled.size();
        int nVal = (int) Math.round(fraction * n);
        if (fraction > 0 && n >= 2) {
            nVal = Math.max(1, nVal);
        }
        nVal = Math.min(nVal, Math.max(0, n - 1));
        List<T> validation = new ArrayList<>(shuffled.subList(0, nVal));
        List<T> training = new ArrayList<>(shuffled.subList(nVal, n));
        validation.sort(Comparator.comparing(id));
        training.sort(Comparator.comparing(id));
        return List.of(training, validation);
    }
}
