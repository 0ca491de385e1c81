package org.medsa.server;

import org.medsa.core.MedsaException;

/**
 * A refusal that is not the caller's bad input but another HTTP answer: no such volume or route
 * (404), a conflict (409), too large (413), try again (503). Bad input is a plain {@link
 * MedsaException}, answered with 400 by every route, as the command line answers it with exit code 2.
 */
public final class ApiException extends MedsaException {

    private static final long serialVersionUID = 1L;

    private final int status;

    /** A refusal with {@code status} and one line that names the problem. */
    public ApiException(int status, String message) {
        super(message);
        this.status = status;
    }

    /** The HTTP status. */
    public int status() {
        return status;
    }

    /** 404: no such volume, file or route. */
    public static ApiException notFound(String message) {
        return new ApiException(404, message);
    }

    /** The status an exception is answered with: its own for an ApiException, 400 for other bad input. */
    static int statusOf(MedsaException e) {
        return e instanceof ApiException a ? a.status() : 400;
    }
}
