package org.medsa.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.medsa.core.Diagnostics;
import org.medsa.core.MedsaException;
import org.medsa.demo.Demo;
import org.medsa.demo.Sam2Demo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code medsa demo}: {@link Demo}, Med-SA in miniature. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Adapt a small CT-trained SAM to MR-like phantoms with Med-SA adapters, and show the before/after table.",
            "With --family sam2: track every organ of held-out phantoms in 3D from one click with the small CT-trained SAM 2,"
                + " then adapt it to MR-like phantoms with Med-SA adapters and show the before/after 3d-1-point table."})
public final class DemoCommand implements Callable<Integer> {

    @Option(names = "--out", defaultValue = "demo-out", paramLabel = "<dir>",
            description = "Output folder (default ${DEFAULT-VALUE}).")
    Path out;
    @Option(names = "--family", defaultValue = "sam", paramLabel = "<sam|sam2>",
            description = "Which demo model (default ${DEFAULT-VALUE}).")
    String family;
    @Option(names = "--steps", paramLabel = "N",
            description = "Adapter training steps (default 400 for SAM, 1000 for SAM 2; SAM 2: 0 skips the adaptation).")
    Integer steps;
    @Option(names = "--seed", defaultValue = "42", paramLabel = "N",
            description = "Seed of the split, the adapters' training and the prompts (default ${DEFAULT-VALUE}).")
    long seed;
    @Option(names = "--verbose", description = "Print stack traces of errors.") boolean verbose;

    @Override
    public Integer call() throws Exception {
        if ("sam2".equals(family)) {
            Sam2Demo.Result r = new Sam2Demo(out).adaptSteps(steps == null ? 1000 : TrainCommand.atLeast(steps, 0, "--steps"))
                    .console(Diagnostics.stderr()).run();
            System.out.print(r.summary());
            return 0;
        }
        if (!"sam".equals(family)) {
            throw new MedsaException("--family must be sam or sam2, got '" + family + "'");
        }
        Demo.Result r = new Demo(out).steps(TrainCommand.atLeast(steps == null ? 400 : steps, 1, "--steps")).seed(seed)
                .console(Diagnostics.stderr())
                .run();
        System.out.print(r.summary());
        System.out.println("overlays (left: before, right: after; yellow = truth, blue = prediction): " + r.overlays());
        return 0;
    }
}
