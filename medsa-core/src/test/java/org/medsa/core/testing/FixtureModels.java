package org.medsa.core.testing;

import ai.djl.ndarray.NDManager;
import org.medsa.core.io.StateDictLoader;
import org.medsa.core.modeling.Sam;
import org.medsa.core.modeling.SamConfig;

/** Builds the fixtures' models with their weights. */
public final class FixtureModels {

    private FixtureModels() {}

    /** SAM from {@code <fixture>/config.json} and {@code state_dict.pth}, arrays in {@code manager}. */
    public static Sam sam(String fixture, NDManager manager) {
        SamConfig cfg = SamConfig.load(Fixtures.path(fixture, "config.json"));
        Sam sam = new Sam(cfg);
        StateDictLoader.load(sam, Fixtures.path(fixture, "state_dict.pth"), manager, new StateDictLoader.Options());
        sam.initialize(manager, ai.djl.ndarray.types.DataType.FLOAT32);
        return sam;
    }
}
