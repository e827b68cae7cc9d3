/**
 * Where the CLIs that write models (retrain, vae:train, reembed) find the engine's storage: the
 * deployment's (MODELS_BUCKET, MODEL_REGISTRY_TABLE, … through the SDK) when an AWS endpoint is
 * configured, `RETRAIN_STORAGE=aws` is set or they run in a container; otherwise the local runtime's
 * embedded storage under `--data-dir` (DATA_DIR, default `.data`), so `npm start` sees the result.
 */
import path from 'node:path';

/** In a container or pointed at an endpoint: the deployment's storage; else the local runtime's. */
export function usesDeployedStorage(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.ECS_CONTAINER_METADATA_URI_V4 || env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || env.RETRAIN_STORAGE === 'aws');
}

/**
 * Opens the storage (starting the embedded servers on the data dir when local, with the process
 * environment pointed at them) and says where it is; `stop` closes what was started.
 */
export async function openStorage(dataDirArg?: string): Promise<{ where: string; stop: () => Promise<void> }> {
  if (usesDeployedStorage()) return { where: `the deployment's storage (${process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL ?? 'AWS'})`, stop: async () => undefined };
  const { startEmbeddedAws } = await import('./local/embedded-aws.js');
  const dataDir = path.resolve(dataDirArg ?? process.env.DATA_DIR ?? '.data');
  try {
    const aws = await startEmbeddedAws({ dataDir });
    Object.assign(process.env, aws.env);
    return { where: `the local runtime's storage under ${dataDir}`, stop: () => aws.stop() };
  } catch (err) {
    throw new Error(`cannot open the local storage under ${dataDir} (is \`npm start\` running on it? stop it, or point AWS_ENDPOINT_URL_S3/_DYNAMODB at it): ${String(err)}`);
  }
}
