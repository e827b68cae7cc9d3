/**
 * The core's error hierarchy. Adapters translate SDK errors into these; the HTTP error
 * middleware maps them to status codes in one place (`errorResponse` in functions/http/api.ts).
 */
export class DomainError extends Error {
  constructor(message: string, readonly details?: unknown, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad input from a caller: 400. Nothing has been written. */
export class InvalidInput extends DomainError {}

/** The addressed resource does not exist: 404. */
export class NotFound extends DomainError {}

/** No model version is serving yet (first start before the first retrain): callers fall back. */
export class ModelNotReady extends DomainError {}

/** A stored artifact failed its integrity checks (sha, shape, NaN). The previous version keeps serving. */
export class CorruptArtifact extends DomainError {}

/** A conditional write lost a race (pointer swap, idempotent insert). */
export class ConflictError extends DomainError {}
