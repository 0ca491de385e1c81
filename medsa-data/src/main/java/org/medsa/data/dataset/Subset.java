package org.medsa.data.dataset;

/** Which cases a dataset serves. See {@link Splits} for how training and validation are chosen. */
public enum Subset {
    /** The training side of the split. */
    TRAINING,
    /** The validation side of the split. */
    VALIDATION,
    /** Every case, training and validation. */
    ALL
}
