/**
 * The operator console's static bundle: the files under `console/` plus Swagger UI's browser assets
 * from `node_modules/swagger-ui-dist` under `vendor/swagger-ui/`. One description, read by the local
 * gateway (which serves them at `/`) and by the CDK (which uploads them to S3 behind CloudFront).
 * Only node:path and node:url imports, so both sides can read it cheaply.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export const CONSOLE_DIR = path.join(repoRoot, 'console');
export const SWAGGER_UI_DIR = path.join(repoRoot, 'node_modules', 'swagger-ui-dist');
/** Swagger UI files the API reference page loads (the rest of the package is source maps and other bundles). */
export const SWAGGER_UI_FILES = ['swagger-ui-bundle.js', 'swagger-ui.css', 'LICENSE', 'NOTICE'] as const;
export const SWAGGER_UI_PREFIX = 'vendor/swagger-ui/';

export const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/**
 * The file behind a URL path of the bundle (`/` → index.html), or undefined when the path is not
 * part of it. Only names listed in the bundle resolve: no `..`, no directory listing.
 */
export function consoleFile(urlPath: string): string | undefined {
  const rel = urlPath === '/' ? 'index.html' : urlPath.replace(/^\//, '');
  if (rel.startsWith(SWAGGER_UI_PREFIX)) {
    const name = rel.slice(SWAGGER_UI_PREFIX.length);
    return (SWAGGER_UI_FILES as readonly string[]).includes(name) ? path.join(SWAGGER_UI_DIR, name) : undefined;
  }
  if (!/^[\w-]+\.(html|js|css|png|svg)$/.test(rel)) return undefined;
  return path.join(CONSOLE_DIR, rel);
}
