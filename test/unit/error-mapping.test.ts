/**
 * The HTTP edge's error table (functions/http/api.ts › ERROR_TABLE): every error class answers its
 * status and code; an error describing internals is answered with a generic message and logged in full.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ArtifactMissing, ConflictError, CorruptArtifact, DomainError, EventIdConflict, InvalidInput, ModelNotReady, NotFound } from '../../functions/core/domain/errors.js';
import { Forbidden, Unauthorized } from '../../functions/http/auth.js';
import { errorResponse, ERROR_TABLE } from '../../functions/http/api.js';

/** A real Powertools logger whose output lines are kept. */
function capturedLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const keep = (chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  };
  // Powertools writes error lines to stderr (its own Console over the process streams).
  vi.spyOn(process.stdout, 'write').mockImplementation(keep);
  vi.spyOn(process.stderr, 'write').mockImplementation(keep);
  return { logger: new Logger({ serviceName: 'error-table-test', logLevel: 'ERROR' }), lines };
}
afterEach(() => vi.restoreAllMocks());

const SECRET = 'models/v-7/item_factors.f32 at s3://gift-models-prod-123456 failed sha check';

const answer = (err: unknown, logger?: Logger) => {
  const res = errorResponse(err, logger);
  return { status: res.statusCode, body: JSON.parse(res.body as string), raw: res.body as string };
};

describe('ERROR_TABLE', () => {
  it.each([
    [InvalidInput, 400, 'invalid_input'],
    [Unauthorized, 401, 'unauthorized'],
    [Forbidden, 403, 'forbidden'],
    [NotFound, 404, 'not_found'],
    [EventIdConflict, 409, 'conflict'],
    [ModelNotReady, 503, 'model_not_ready'],
  ] as const)('%o → %i %s with the message and details meant for the caller', (Cls, status, code) => {
    const details = [{ path: 'x', message: 'bad x' }];
    const { body, status: got } = answer(new Cls('what the caller should read', { details }));
    expect(got).toBe(status);
    expect(body.error.code).toBe(code);
    expect(body.error.message).toBe('what the caller should read');
    expect(body.error.details).toEqual(code === 'model_not_ready' ? null : details);
  });

  it.each([
    [ArtifactMissing, 503, 'artifact_missing'],
    [CorruptArtifact, 500, 'internal'],
    [ConflictError, 500, 'internal'],
    [DomainError, 500, 'internal'],
    [Error, 500, 'internal'],
    [TypeError, 500, 'internal'],
  ] as const)('%o → %i %s: generic message, the internal one only in the log', (Cls, status, code) => {
    const { logger, lines } = capturedLogger();
    const cause = new Error('the SDK said NoSuchKey');
    const err = Cls === Error || Cls === TypeError ? new Cls(SECRET) : new (Cls as typeof DomainError)(SECRET, { details: { bucket: 'gift-models-prod-123456' }, cause });
    const { status: got, body, raw } = answer(err, logger);
    expect(got).toBe(status);
    expect(body.error.code).toBe(code);
    expect(raw).not.toContain('item_factors');
    expect(raw).not.toContain('gift-models-prod');
    expect(body.error.details).toBeNull();
    const log = lines.join('');
    expect(log).toContain(SECRET);
    expect(log).toContain('unhandled error');
  });

  it('a thrown non-Error is a generic 500 too', () => {
    const { logger, lines } = capturedLogger();
    const { status, raw } = answer('raw string with a secret path /var/task/x', logger);
    expect(status).toBe(500);
    expect(raw).not.toContain('/var/task');
    expect(lines.join('')).toContain('/var/task/x');
  });

  it('subclasses are listed before their parents (first match wins)', () => {
    ERROR_TABLE.forEach((row, i) => {
      for (const later of ERROR_TABLE.slice(i + 1)) expect(later.error.prototype instanceof row.error).toBe(false);
    });
  });

  it('keeps the cause and details given to an error constructor', () => {
    const cause = new Error('root');
    const e = new CorruptArtifact('x', { cause, details: { n: 1 } });
    expect(e.cause).toBe(cause);
    expect(e.details).toEqual({ n: 1 });
    expect(e.name).toBe('CorruptArtifact');
    expect(new NotFound('y').cause).toBeUndefined();
  });
});
