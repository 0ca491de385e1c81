package org.medsa.cli;

import ai.djl.engine.EngineException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemException;
import java.util.Arrays;
import java.util.Locale;
import org.medsa.core.MedsaException;
import org.medsa.core.io.AtomicFiles;
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
            SegmentCommand.class, ServeCommand.class, BatchCommand.class, BenchCommand.class, ParamsCommand.class,
                    InspectCommand.class, PretrainCommand.class, PhantomCommand.class})
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
        boolean verbose = Arrays.asList(args).contains("--verbose");
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
                    Throwable root = ex instanceof UncheckedIOException && ex.getCause() != null ? ex.getCause() : ex;
                    commandLine.getErr().println("error: " + describe(root));
                    return exitCode(root);
                });
        // one line: the problem, without picocli's "Try ... --help" second line
        cli.setParameterExceptionHandler((ex, arguments) -> {
            ex.getCommandLine().getErr().println("error: " + oneLine(ex.getMessage()));
            return 2;
        });
        try {
            return cli.execute(args);
        } catch (OutOfMemoryError e) {
            // picocli passes errors through; the heap that ran out cannot hold a stack trace anyway
            System.err.println("error: " + describe(e));
            return 2;
        }
    }

    /**
     * 2 for bad input (our own messages, bad arguments, unreadable or unwritable files, memory), 1
     * for anything else (a bug).
     */
    static int exitCode(Throwable t) {
        return t instanceof MedsaException || t instanceof IllegalArgumentException || t instanceof IOException
                || t instanceof OutOfMemoryError || t instanceof EngineException ? 2 : 1;
    }

    /** One line for the user: what went wrong, never an exception's class name. */
    static String describe(Throwable t) {
        if (t instanceof MedsaException || t instanceof IllegalArgumentException) {
            return oneLine(t.getMessage() == null ? "invalid input" : t.getMessage());
        }
        if (t instanceof FileSystemException fs && fs.getFile() != null) {
            return oneLine(fs.getFile() + ": " + AtomicFiles.reason(fs)
                    + (fs.getOtherFile() == null ? "" : " (" + fs.getOtherFile() + ")"));
        }
        if (t instanceof IOException io) {
            return oneLine(AtomicFiles.reason(io));
        }
        if (t instanceof OutOfMemoryError) {
            return String.format(Locale.ROOT, "out of memory: this JVM may use %.1f GB; raise it (e.g. MEDSA_JAVA_OPTS=-Xmx%dg),"
                    + " or use a smaller model, batch or image", Runtime.getRuntime().maxMemory() / 1e9,
                    Math.max(2, 2 * (Runtime.getRuntime().maxMemory() >> 30)));
        }
        if (t instanceof EngineException || (t.getCause() instanceof EngineException)) {
            return "the PyTorch engine could not start: no PyTorch native library for this machine is bundled (and nothing is"
                    + " downloaded offline); use the CPU build (mvn package) or add ai.djl.pytorch:pytorch-native-cpu ("
                            + oneLine(
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
