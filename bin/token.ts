/**
 * `npm run token -- --sub alice [--scope service|admin] [--ttl 3600]`: a bearer token of the local
 * issuer, for `AUTH=local npm start` (same DATA_DIR, so the same signing secret).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { localSecret, scopeNames, signToken } from './local/local-auth.js';

const usage = 'usage: npm run token -- --sub ID [--scope service|admin] [--ttl SECONDS]   (DATA_DIR as for npm start, default .data)';
let values: { sub?: string; scope?: string; ttl?: string };
try {
  ({ values } = parseArgs({ options: { sub: { type: 'string' }, scope: { type: 'string' }, ttl: { type: 'string' } }, strict: true }));
} catch (err) {
  console.error(`${err instanceof Error ? err.message : String(err)}\n${usage}`);
  process.exit(2);
}
if (!values.sub || !/^[\w.:@-]{1,128}$/.test(values.sub)) {
  console.error(`--sub is required (letters, digits and . _ : @ -)\n${usage}`);
  process.exit(2);
}
if (values.scope !== undefined && !/^(service|admin)$/.test(values.scope)) {
  console.error(`--scope must be service or admin\n${usage}`);
  process.exit(2);
}
const ttl = values.ttl === undefined ? 3600 : Number(values.ttl);
if (!Number.isInteger(ttl) || ttl < 1 || ttl > 30 * 86400) {
  console.error(`--ttl must be whole seconds between 1 and ${30 * 86400}\n${usage}`);
  process.exit(2);
}
const secret = localSecret(path.resolve(process.env.DATA_DIR ?? '.data'));
const scope = scopeNames(values.scope, { admin: process.env.ADMIN_SCOPE ?? 'gift-recommender/admin', service: process.env.SERVICE_SCOPE ?? 'gift-recommender/service' });
console.log(signToken(secret, { sub: values.sub, scope, ttlSeconds: ttl }));
