package org.medsa.core.testing;

import ai.djl.ndarray.NDManager;
import org.medsa.core.modeling.Sam;
import org.medsa.core.modeling.SamConfig;

/** Builds the fixtures' models with their weights. */
public final class FixtureModels {

    private FixtureModels() {}

    /** SAM from {@code <fixture>/config.json} and {@code state_dict.pth}, arrays in {@code manager}. */
    public static Sam sam(String fixture, NDManager manager) {
        return Sam.load(SamConfig.load(Fixtures.path(fixture, "config.json")), Fixtures.path(fixture, "state_dict.pth"), manager);
    }
}
