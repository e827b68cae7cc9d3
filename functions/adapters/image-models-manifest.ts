/** Reads the image models' `manifest.json` from the models dir (null when it is absent or unreadable). */
import { readFile } from 'node:fs/promises';
import path from 'node:path';

export async function readImageModelsManifest(modelsDir: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path.join(modelsDir, 'manifest.json'), 'utf8'));
  } catch {
    return null;
  }
}
