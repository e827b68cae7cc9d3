/**
 * Integration-test harness: embedded dynalite + s3rver on free ports in a temp dir, with the
 * process environment pointed at them and the container-level caches reset.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedAws, type EmbeddedAws } from '../../bin/local/embedded-aws.js';
import { resetConfig } from '../../functions/config.js';
import { resetDeps } from '../../functions/adapters/bootstrap.js';

export interface LocalAws extends EmbeddedAws {
  dataDir: string;
}

export async function startLocalAws(): Promise<LocalAws> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'gift-it-'));
  const aws = await startEmbeddedAws({ dataDir, persistDynamo: false });
  Object.assign(process.env, aws.env);
  // Handler tests run without auth unless they ask for it (the authorization matrix sets AUTH=jwt).
  process.env.AUTH ??= 'none';
  resetConfig();
  resetDeps();
  return {
    ...aws,
    dataDir,
    async stop() {
      resetDeps();
      await aws.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
