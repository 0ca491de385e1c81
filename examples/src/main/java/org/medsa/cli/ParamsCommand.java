package org.medsa.cli;

import java.util.Locale;
import java.util.concurrent.Callable;
import org.medsa.adapters.MedsaConfig;
import org.medsa.adapters.MedsaModel;
import org.medsa.adapters.MedsaSam2Model;
import org.medsa.adapters.ModelLoader;
import org.medsa.adapters.ParameterCounts;
import org.medsa.core.MedsaException;
import org.medsa.core.modeling.SamConfig;
import org.medsa.core.modeling.sam2.Sam2Config;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code medsa params}: total and trainable parameter counts per part (no weights needed). */
@Command(name = "params", mixinStandardHelpOptions = true,
        description = "Print total and trainable parameter counts per part of a Med-SA model.")
public final class ParamsCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "<preset|config.json>",
            description = "vit_b, vit_l, vit_h, a SAM 2 preset (sam2.1_hiera_t, ..., medsam2) or a config.json.")
    String model;

    @Option(names = "--adapters", defaultValue = "paper", paramLabel = "<paper|official-code>",
            description = "Adapter preset (default: ${DEFAULT-VALUE}).")
    String adapters;

    @Option(names = "--volumetric", description = "Count the SD-Trans depth adapters too (3D).")
    boolean volumetric;

    @Option(names = "--train-memory", description = "SAM 2: count the memory attention and memory encoder as trainable.")
    boolean trainMemory;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Option(names = "--verbose", description = "Print stack traces of errors.")
    boolean verbose;

    @Override
    public Integer call() {
        boolean sam2 = ModelLoader.isSam2(model);
        if (sam2 && volumetric) {
            throw new MedsaException("--volumetric counts SD-Trans, which SAM 2 does not have: its memory joins the slices");
        }
        if (!sam2 && trainMemory) {
            throw new MedsaException("--train-memory applies to SAM 2 models");
        }
        MedsaConfig mc = sam2 ? MedsaConfig.preset(adapters)
                : MedsaConfig.builder(adapters).volumetric(volumetric || MedsaConfig.preset(adapters).volumetric()).build();
        ParameterCounts c = ParameterCounts.of(sam2 ? new MedsaSam2Model(Sam2Config.resolve(model), mc, trainMemory)
                : new MedsaModel(SamConfig.resolve(model), mc));
        if (json) {
            System.out.println(c.toJson());
            return 0;
        }
        System.out.printf(Locale.ROOT, "%s with %s adapters%s%n", model, mc.describe(), trainMemory ? ", memory trained" : "");
        System.out.printf(Locale.ROOT, "%-20s %15s %15s %15s%n", "part", "total", "trainable", "adapters");
        c.parts().forEach((k, v) -> System.out.printf(Locale.ROOT, "%-20s %,15d %,15d %,15d%n", k, v[0], v[1], v[2]));
        System.out.printf(Locale.ROOT, "%-20s %,15d %,15d  (%.2f%% trainable)%n", "total", c.total(), c.trainable(),
                100.0 * c.trainable() / c.total());
        return 0;
    }
}
