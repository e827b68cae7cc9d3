/**
 * S3 event key encoding. AWS puts object keys into `ObjectCreated` events URL-encoded the way HTML
 * forms are (`+` for a space, `%XX` for other bytes, `/` kept); s3rver puts the raw key. The handler
 * decodes as AWS requires, so the local runtime re-encodes s3rver's events with {@link toAwsS3Event}
 * before invoking it — one code path for both.
 */
import type { S3Event } from 'aws-lambda';

/** AWS event key → object key. A malformed escape (not something S3 emits) is returned unchanged. */
export function decodeS3Key(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return key;
  }
}

/** Object key → key as AWS writes it into S3 events. */
export function encodeS3Key(key: string): string {
  return key
    .split('/')
    .map((part) => encodeURIComponent(part).replace(/%20/g, '+'))
    .join('/');
}

/** An s3rver event with its keys encoded as AWS encodes them (for the local runtime and tests). */
export function toAwsS3Event(event: S3Event): S3Event {
  return {
    Records: event.Records.map((r) => ({
      ...r,
      s3: { ...r.s3, object: { ...r.s3.object, key: encodeS3Key(r.s3.object.key) } },
    })),
  };
}
