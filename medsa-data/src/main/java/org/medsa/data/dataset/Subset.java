package org.medsa.data.dataset;

import java.util.Locale;
import org.medsa.core.MedsaException;

/** Which cases a dataset serves. See {@link Splits} for how training and validation are chosen. */
public enum Subset {
    /** The training side of the split. */
    TRAINING,
    /** The validation side of the split. */
    VALIDATION,
    /** Every case, training and validation. */
    ALL;

    /**
     * {@code training}, {@code validation} or {@code all} (any case).
     *
     * @param what names the value in messages (e.g. "--split")
     * @throws MedsaException for anything else
     */
    public static Subset parse(String name, String what) {
        for (Subset s : values()) {
            if (s.name().equalsIgnoreCase(name == null ? "" : name.trim())) {
                return s;
            }
        }
        throw new MedsaException(what + " must be validation, training or all, got '" + name + "'");
    }

    /** The lower-case name, as the command line writes it. */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
