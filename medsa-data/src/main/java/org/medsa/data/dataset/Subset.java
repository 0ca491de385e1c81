package org.medsa.data.dataset;

/** Which cases a dataset serves. See {@link Splits} for how training and validation are chosen. */
public enum Subset {
    TRAINING,
    VALIDATION,
    ALL
}
