/** Uploads through a presigned POST the way a browser form does: the policy's fields first, the file last. */
import type { PresignedUpload } from '../../functions/core/domain/ports.js';

export async function postUpload(upload: PresignedUpload, bytes: Uint8Array, contentType: string, fileName = 'photo'): Promise<Response> {
  const form = new FormData();
  for (const [k, v] of Object.entries(upload.fields)) form.append(k, v);
  form.append('file', new Blob([bytes], { type: contentType }), fileName);
  return fetch(upload.url, { method: 'POST', body: form });
}

/** The decoded policy document of a presigned POST (what S3 enforces on the upload). */
export function policyOf(upload: PresignedUpload): { expiration: string; conditions: unknown[] } {
  return JSON.parse(Buffer.from(upload.fields.Policy, 'base64').toString('utf8'));
}
