package org.medsa.core;

/**
 * An error caused by the user's input (a file, a config, an argument) rather than by a bug.
 *
 * <p>Its message is one line that names the file or argument and the problem, so the CLI can print
 * it as is, without a stack trace.
 */
public class MedsaException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** An error with a one-line message naming the file or argument and the problem. */
    public MedsaException(String message) {
        super(message);
    }

    /** An error with a one-line message and the exception that caused it. */
    public MedsaException(String message, Throwable cause) {
        super(message, cause);
    }
}
