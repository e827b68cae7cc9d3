/**
 * The core's error hierarchy. Adapters translate SDK errors into these; the HTTP edge maps each
 * class to a status and a code in one table (`ERROR_TABLE` in functions/http/api.ts). Errors meant
 * for the caller (bad input, not found, a reused eventId, no model yet) carry a message written for
 * them; the others (a corrupt or missing artifact, a lost write race) describe internals, are
 * logged in full and answered with a generic message.
 */

export interface DomainErrorOptions {
  /** Machine-readable particulars for the caller, e.g. per-field problems `[{ path, message }]`. */
  details?: unknown;
  /** The error this one translates (an SDK or parser error), kept for the logs. */
  cause?: unknown;
}

export class DomainError extends Error {
  readonly details?: unknown;

  constructor(message: string, options: DomainErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.details = options.details;
    this.name = new.target.name;
  }
}

/** Bad input from a caller: 400. Nothing has been written. */
export class InvalidInput extends DomainError {}

/** The addressed resource does not exist: 404. */
export class NotFound extends DomainError {}

/** An eventId already stored with a different payload: 409. Nothing of the batch was written. */
export class EventIdConflict extends DomainError {}

/** No model version is serving yet (first start before the first retrain): 503, callers fall back. */
export class ModelNotReady extends DomainError {}

/**
 * A file the service needs is not where it should be: a model version's file, or an image model of
 * the models dir. Not the caller's doing, and not "no model trained yet": 503 with a generic
 * message (a version missing a file is refused; the previous one keeps serving).
 */
export class ArtifactMissing extends DomainError {}

/** A stored artifact failed its integrity checks (sha, shape, NaN): 500. The previous version keeps serving. */
export class CorruptArtifact extends DomainError {}

/** A conditional write lost a race (the model pointer moved): 500, the writer retries or gives up. */
export class ConflictError extends DomainError {}
