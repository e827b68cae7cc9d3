/** `GET /health` and `GET /model` (the serving model's manifest plus the image models'). */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { getDeps } from '../adapters/bootstrap.js';
import { apiHandler, json } from '../http/api.js';
import { readManifest } from '../core/snapshot/model-snapshot.js';

async function imageModelsManifest(modelsDir: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path.join(modelsDir, 'manifest.json'), 'utf8'));
  } catch {
    return null;
  }
}

export const handler = apiHandler(
  {
    // The version this container actually serves (it may differ from the pointer's: a refused
    // version, or a cold-start fallback), the pointer's, and whether they differ.
    'GET /health': async () => {
      const state = await getDeps().serving.state();
      return json(200, {
        status: 'ok',
        model_version: state.serving,
        pointer_version: state.pointer,
        serving_differs_from_pointer: state.serving !== state.pointer,
      });
    },
    'GET /model': async () => {
      const { models, config } = getDeps();
      const pointer = await models.readPointer();
      const manifest = pointer ? await readManifest(models, pointer.version) : null;
      return json(200, {
        model_version: pointer?.version ?? null,
        previous_version: pointer?.previous ?? null,
        updated_at: pointer?.updatedAt ?? null,
        recommender: manifest,
        image_models: await imageModelsManifest(config.MODELS_DIR),
      });
    },
  },
  getDeps().logger,
);
