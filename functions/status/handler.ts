/** `GET /health` and `GET /model` (the serving model's manifest plus the image models'). */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { getDeps } from '../adapters/bootstrap.js';
import { apiHandler, json, type ApiEvent } from '../http/api.js';
import { buildOpenApi } from '../http/openapi.js';
import { readManifest } from '../core/snapshot/model-snapshot.js';

async function imageModelsManifest(modelsDir: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path.join(modelsDir, 'manifest.json'), 'utf8'));
  } catch {
    return null;
  }
}

let openApi: ReturnType<typeof buildOpenApi> | undefined;

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
    'GET /openapi.json': async (event: ApiEvent) => {
      // Built once per container; the server URL is the host the caller reached (API Gateway sets x-forwarded-proto).
      openApi ??= buildOpenApi();
      const host = event.headers?.host ?? event.requestContext?.domainName;
      const proto = event.headers?.['x-forwarded-proto'] ?? 'http';
      return json(200, host ? { ...openApi, servers: [{ url: `${proto}://${host}` }] } : openApi);
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
