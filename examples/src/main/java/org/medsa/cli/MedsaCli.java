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
            SegmentCommand.class, ServeCommand.class, BatchCommand.class, BenchCommand.class, ParamsCommand.class, InspectCommand.class, PretrainCommand.class, PhantomCommand.class})
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
        // DJL's warnings (e.g. a CUDA runtime without a driver) would add lines to a one-line error
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", verbose ? "info" : "error");
        }
        CommandLine cli = new CommandLine(new MedsaCli());
        cli.setExecutionExceptionHandler(
                (ex, commandLine, parseResult) -> {
                    if (verbose) {
                        ex.printStackTrace(System.err);
                    }
                    Throwable root = ex instanceof java.io.UncheckedIOException && ex.getCause() != null ? ex.getCause() : ex;
                    commandLine.getErr().println("error: " + describe(root));
                    return exitCode(root);
                });
        // one line: the problem, without picocli's "Try ... --help" second line
        cli.setParameterExceptionHandler((ex, arguments) -> {
            ex.getCommandLine().getErr().println("error: " + oneLine(ex.getMessage()));
            return 2;
        });
        return cli.execute(args);
    }

    /**
     * 2 for bad input (our own messages, bad arguments, unreadable or unwritable files, memory), 1
     * for anything else (a bug).
     */
    static int exitCode(Throwable t) {
        return t instanceof MedsaException || t instanceof IllegalArgumentException || t instanceof java.io.IOException
                || t instanceof OutOfMemoryError || t instanceof ai.djl.engine.EngineException ? 2 : 1;
    }

    /** One line for the user: what went wrong, never an exception's class name. */
    static String describe(Throwable t) {
        if (t instanceof MedsaException || t instanceof IllegalArgumentException) {
            return oneLine(t.getMessage() == null ? "invalid input" : t.getMessage());
        }
        if (t instanceof java.io.IOException io) {
            return oneLine(org.medsa.core.io.AtomicFiles.reason(io));
        }
        if (t instanceof OutOfMemoryError) {
            return "out of memory; try a smaller model or batch, or raise the Java heap (MEDSA_JAVA_OPTS=-Xmx...)";
        }
        if (t instanceof ai.djl.engine.EngineException || (t.getCause() instanceof ai.djl.engine.EngineException)) {
            return "the PyTorch engine could not start: no PyTorch native library for this machine is bundled (and nothing is"
                    + " downloaded offline); use the CPU build (mvn package) or add ai.djl.pytorch:pytorch-native-cpu (" + oneLine(
                    String.valueOf(t.getMessage())) + ")";
        }
        String m = t.getMessage();
        return "internal error" + (m == null ? "" : " (" + oneLine(m) + ")") + "; run again with --verbose for details";
    }

    /** The message's first line, and how many more there were. */
    static String oneLine(String message) {
        String[] lines = message.strip().split("\\R");
        return lines.length == 1 ? lines[0] : lines[0] + " (and " + (lines.length - 1) + " more lines; see --verbose)";
    }
}
