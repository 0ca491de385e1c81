package org.medsa.cli;

import java.util.Locale;
import java.util.concurrent.Callable;
import org.medsa.adapters.MedsaConfig;
import org.medsa.adapters.MedsaModel;
import org.medsa.adapters.ParameterCounts;
import org.medsa.core.modeling.SamConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code medsa params}: total and trainable parameter counts per part (no weights needed). */
@Command(name = "params", mixinStandardHelpOptions = true,
        description = "Print total and trainable parameter counts per part of a Med-SA model.")
public final class ParamsCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "<preset|config.json>",
            description = "vit_b, vit_l, vit_h or a config.json.")
    String model;

    @Option(names = "--adapters", defaultValue = "paper", paramLabel = "<paper|official-code>",
            description = "Adapter preset (default: ${DEFAULT-VALUE}).")
    String adapters;

    @Option(names = "--volumetric", description = "Count the SD-Trans depth adapters too (3D).")
    boolean volumetric;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Option(names = "--verbose", description = "Print stack traces of errors.")
    boolean verbose;

    @Override
    public Integer call() {
        MedsaConfig mc = MedsaConfig.builder(adapters).volumetric(volumetric || MedsaConfig.preset(adapters).volumetric())
                .build();
        ParameterCounts c = ParameterCounts.of(new MedsaModel(SamConfig.resolve(model), mc));
        if (json) {
            System.out.println(c.toJson());
            return 0;
        }
        System.out.printf(Locale.ROOT, "%s with %s adapters%n", model, mc.describe());
        System.out.printf(Locale.ROOT, "%-16s %15s %15s %15s%n", "part", "total", "trainable", "adapters");
        c.parts().forEach((k, v) -> System.out.printf(Locale.ROOT, "%-16s %,15d %,15d %,15d%n", k, v[0], v[1], v[2]));
        System.out.printf(Locale.ROOT, "%-16s %,15d %,15d  (%.2f%% trainable)%n", "total", c.total(), c.trainable(),
                100.0 * c.trainable() / c.total());
        return 0;
    }
}
