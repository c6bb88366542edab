package org.npu4j.serve;

import org.jspecify.annotations.Nullable;

/**
 * A request the server refuses, with the HTTP status and the OpenAI error fields ({@code type},
 * {@code param}, {@code code}); the Ollama routes send only {@code message} as {@code {"error": ...}}.
 */
final class ApiError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    final int status;
    final String type;
    final @Nullable String param;
    final @Nullable String code;
    /** Seconds for a {@code Retry-After} header, or -1. */
    final int retryAfterSeconds;

    ApiError(int status, String type, @Nullable String param, @Nullable String code, String message, int retryAfter) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
        this.retryAfterSeconds = retryAfter;
    }

    /** 400, {@code invalid_request_error}. */
    static ApiError badRequest(@Nullable String param, String message) {
        return new ApiError(400, "invalid_request_error", param, null, message, -1);
    }

    /** 404 {@code model_not_found}. */
    static ApiError unknownModel(String model, Iterable<String> known) {
        return new ApiError(404, "invalid_request_error", "model", "model_not_found",
                "The model '" + model + "' does not exist: expected one of " + String.join(", ", known), -1);
    }
}
