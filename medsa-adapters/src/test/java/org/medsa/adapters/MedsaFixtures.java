package org.medsa.adapters;

import ai.djl.ndarray.NDManager;
import org.medsa.core.modeling.SamConfig;
import org.medsa.core.testing.Fixtures;

/** The medsa_tiny model in the official-code preset, with the fixture's weights. */
final class MedsaFixtures {

    private MedsaFixtures() {}

    static MedsaModel officialTiny(NDManager m, Integer numMultimask, boolean volumetric, Integer chunk) {
        SamConfig cfg = SamConfig.load(Fixtures.path("medsa_tiny", "config.json"));
        if (numMultimask != null) {
            cfg.maskDecoder.numMultimaskOutputs = numMultimask;
        }
        MedsaConfig mc = MedsaConfig.builder("official-code").volumetric(volumetric).chunk(chunk).build();
        MedsaModel model = new MedsaModel(cfg, mc);
        MedsaCheckpoints.loadBase(model, Fixtures.path("medsa_tiny", "state_dict.pth"), m);
        return model;
    }
}
