package org.medsa.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.medsa.core.Diagnostics;
import org.medsa.demo.Demo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code medsa demo}: {@link Demo}, Med-SA in miniature. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Adapt a small CT-trained SAM to MR-like phantoms with Med-SA adapters, and show the before/after table.")
public final class DemoCommand implements Callable<Integer> {

    @Option(names = "--out", defaultValue = "demo-out", paramLabel = "<dir>",
            description = "Output folder (default ${DEFAULT-VALUE}).")
    Path out;
    @Option(names = "--steps", defaultValue = "400", paramLabel = "N",
            description = "Adapter training steps (default ${DEFAULT-VALUE}).")
    int steps;
    @Option(names = "--seed", defaultValue = "42", paramLabel = "N",
            description = "Seed of the split, the adapters' training and the prompts (default ${DEFAULT-VALUE}).")
    long seed;
    @Option(names = "--verbose", description = "Print stack traces of errors.") boolean verbose;

    @Override
    public Integer call() throws Exception {
        Demo.Result r = new Demo(out).steps(TrainCommand.atLeast(steps, 1, "--steps")).seed(seed).console(Diagnostics.stderr())
                .run();
        System.out.print(r.summary());
        System.out.println("overlays (left: before, right: after; yellow = truth, blue = prediction): " + r.overlays());
        return 0;
    }
}
