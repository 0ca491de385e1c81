package org.medsa.cli;

import org.medsa.core.MedsaException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Entry point of the {@code medsa} command line. */
@Command(
        name = "medsa",
        mixinStandardHelpOptions = true,
        version = "medsa 0.1.0",
        description = "Segment Anything with Medical SAM Adapters, on DJL.",
        subcommands = {DemoCommand.class, PredictCommand.class, TrainCommand.class, EvalCommand.class, MetricsCommand.class,
            SegmentCommand.class, ParamsCommand.class, InspectCommand.class, PretrainCommand.class, PhantomCommand.class})
public final class MedsaCli implements Runnable {

    /** Shared by every subcommand: show stack traces of errors. */
    public static final class VerboseOption {
        @Option(names = "--verbose", description = "Print stack traces of errors.")
        boolean verbose;
    }

    @Override
    public void run() {
        CommandLine.usage(this, System.out);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the CLI and returns the exit code (tests call this instead of {@link #main}). */
    public static int execute(String... args) {
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
        CommandLine cli = new CommandLine(new MedsaCli());
        cli.setExecutionExceptionHandler(
                (ex, commandLine, parseResult) -> {
                    Throwable root = ex;
                    if (verbose) {
                        ex.printStackTrace(System.err);
                    }
                    String msg = describe(root);
                    commandLine.getErr().println("error: " + msg);
                    return root instanceof MedsaException ? 2 : 1;
                });
        cli.setParameterExceptionHandler(
                (ex, arguments) -> {
                    ex.getCommandLine().getErr().println("error: " + ex.getMessage());
                    ex.getCommandLine().getErr().println(
                            "Try '" + ex.getCommandLine().getCommandSpec().qualifiedName()
                                    + " --help' for usage.");
                    return 2;
                });
        return cli.execute(args);
    }

    /** One line for the user: our own messages as they are, others with their type. */
    static String describe(Throwable t) {
        if (t instanceof MedsaException) {
            return t.getMessage();
        }
        if (t instanceof java.io.IOException || t instanceof IllegalArgumentException) {
            return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        }
        if (t instanceof OutOfMemoryError) {
            return "out of memory (" + t.getMessage() + "); try a smaller model or batch, or raise -Xmx";
        }
        String m = t.getMessage();
        return t.getClass().getSimpleName() + (m == null ? "" : ": " + m.lines().findFirst().orElse(""));
    }
}
