package org.medsa.server;

/** A request the server refuses: an HTTP status and one line that names the problem. */
public final class ApiException extends RuntimeException {

    private final int status;

    /** A refusal with {@code status} (4xx for the caller's mistakes) and {@code message}. */
    public ApiException(int status, String message) {
        super(message);
        this.status = status;
    }

    /** The HTTP status. */
    public int status() {
        return status;
    }

    /** 400: a malformed or impossible request. */
    public static ApiException badRequest(String message) {
        return new ApiException(400, message);
    }

    /** 404: no such volume, file or route. */
    public static ApiException notFound(String message) {
        return new ApiException(404, message);
    }
}
