/**
 * The local runtime behind `npm start`: embedded AWS (dynalite + s3rver), the demo catalog on
 * first start, the HTTP gateway in front of the very same Lambda handlers, s3rver's
 * ObjectCreated events delivered to `embed-image`, and `retrain` on an interval.
 *
 * Three processes, so that one machine's cores serve at once: this one (the gateway and the HTTP
 * handlers), the embedded AWS servers (aws-process.ts) and the background Lambdas, retrain and
 * embed-image (jobs-process.ts). They talk as on AWS: the handlers through the SDK to the servers'
 * ports, S3 notifications relayed from the servers to the jobs.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import type { S3Event } from 'aws-lambda';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { ChildProcessClient } from './child-process.js';
import { createGateway, type LambdaHandler } from './gateway.js';
import { localSecret, verifyToken } from './local-auth.js';
import type { LambdaName } from '../../functions/http/routes.js';
import { toAwsS3Event } from '../../functions/embed-image/s3-event.js';
import { IMAGES_PREFIX } from '../../functions/core/domain/product-images.js';
import { storedEmbedding } from '../../functions/core/content/similarity.js';
import type { RetrainOutcome } from '../../functions/retrain/retrain-model.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');

export interface LocalRuntimeOptions {
  port: number;
  dataDir: string;
  /** 0 disables the periodic retrain. */
  retrainIntervalS: number;
  log?: (line: string) => void;
}

export interface LocalRuntime {
  url: string;
  /** Runs one retrain now (serialized with the periodic ones). */
  retrain(): Promise<unknown>;
  /** Process ids of the runtime's parts: this process serves HTTP, the others are its children. */
  processes: { http: number; aws?: number; jobs?: number };
  /** Resolves when every S3 event delivered so far has been embedded. */
  embeddingsIdle(): Promise<void>;
  stop(): Promise<void>;
}

export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const log = options.log ?? ((line: string) => console.log(line));
  // No auth unless asked for: AUTH=local runs the same rules as AWS with the local issuer.
  process.env.AUTH ??= 'none';
  if (!['none', 'local'].includes(process.env.AUTH)) throw new Error(`AUTH=${process.env.AUTH}: the local runtime knows none (default) and local`);
  // This process's handlers load while the child processes start (handlers read their configuration
  // on their first call, nothing at import; the SDK reads the endpoints set below).
  const modules = Promise.all([
    import('../../functions/adapters/bootstrap.js'),
    import('../../functions/recommend/handler.js'),
    import('../../functions/events/handler.js'),
    import('../../functions/catalog/handler.js'),
    import('../../functions/users/handler.js'),
    import('../../functions/status/handler.js'),
  ]);
  const [awsStart, jobsStart] = await Promise.allSettled([
    ChildProcessClient.start(path.join(here, 'aws-process.ts'), { args: [JSON.stringify({ dataDir: options.dataDir })] }),
    ChildProcessClient.start(path.join(here, 'jobs-process.ts')),
  ]);
  if (awsStart.status === 'rejected' || jobsStart.status === 'rejected') {
    for (const started of [awsStart, jobsStart]) if (started.status === 'fulfilled') await started.value.child.stop();
    throw (awsStart.status === 'rejected' ? awsStart.reason : (jobsStart as PromiseRejectedResult).reason) as Error;
  }
  const aws = awsStart.value.child;
  const jobs = jobsStart.value.child;
  const awsEnv = awsStart.value.ready.env as Record<string, string>;
  Object.assign(process.env, awsEnv);
  // No model knobs here: each retrain chooses its family and parameters on the demo's own data.
  // The demo catalog is priced in Chilean pesos; new products default to the same currency.
  process.env.CURRENCY ??= 'CLP';
  await jobs.request('configure', { env: { ...process.env } });
  const [{ getDeps }, recommend, events, catalog, users, status] = await modules;
  const deps = getDeps();

  // S3 notifications run one at a time, as a reserved-concurrency-1 Lambda would.
  let embedChain: Promise<void> = Promise.resolve();
  let pendingEmbeds = 0;
  aws.on('s3', (message) => {
    const event = message.event as S3Event;
    // The same filter the CDK notification has: ObjectCreated on the images bucket under images/.
    const wanted = event.Records?.some(
      (r) => r.eventName?.startsWith('ObjectCreated') && r.s3.bucket.name === deps.config.IMAGES_BUCKET && r.s3.object.key.startsWith(IMAGES_PREFIX),
    );
    if (!wanted) return;
    pendingEmbeds++;
    embedChain = embedChain
      // s3rver reports raw keys; S3 URL-encodes them, and the handler decodes as on AWS.
      .then(async () => void (await jobs.request('embed', { event: toAwsS3Event(event) })))
      .catch((err) => log(`embed-image: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => void pendingEmbeds--);
  });

  let retrainChain: Promise<unknown> = Promise.resolve();
  const runRetrain = () => {
    const run = retrainChain.then(async () => {
      const outcome = await jobs.request<RetrainOutcome>('retrain');
      if (outcome.skipped) log(`retrain: skipped — ${outcome.reason}`);
      else {
        const pruned = outcome.retention ? outcome.retention.deleted.length + outcome.retention.halfWritten.length : 0;
        log(`retrain: ${outcome.version} ${outcome.promoted ? 'serving' : 'kept previous'} (${outcome.reason}; ${outcome.seconds.toFixed(1)} s${pruned ? `; retention removed ${pruned} old version(s)` : ''})`);
      }
      return outcome;
    });
    retrainChain = run.catch((err) => log(`retrain failed, previous model keeps serving: ${err instanceof Error ? err.message : String(err)}`));
    return run;
  };

  // A new image or text model version (`vae:train --publish`, a `.vec` a retrain adopted) is noticed
  // after each retrain and the catalog re-embedded in the background by the jobs process, one product
  // at a time, in the same queue as the uploads' embeddings (as `npm run reembed` does on AWS).
  jobs.on('log', (message) => log(String(message.line)));
  const reembedIfModelsChanged = async (): Promise<void> => void (await jobs.request('reembed'));
  let stopping = false;
  const queueReembed = () => {
    // On the way out nothing new is queued: the next start notices the model change again.
    if (stopping) return;
    pendingEmbeds++;
    embedChain = embedChain
      .then(reembedIfModelsChanged)
      .catch((err) => log(`reembed failed, products keep their embeddings: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => void pendingEmbeds--);
  };

  let seeded = false;
  let uploading: Promise<void> = Promise.resolve();
  // The demo catalog is seeded on first start. A marker is written once seeding completed: an
  // interrupted first start seeds again (all writes are idempotent).
  const marker = path.join(options.dataDir, 'demo-seeded.json');
  if (!existsSync(marker)) {
    seeded = true;
    const { generateDemoData, writeDemoData } = await import('./demo-data.js');
    const demo = generateDemoData();
    log(`seeding demo catalog: ${demo.products.length} products, ${demo.users.length} users, ${demo.events.length} events`);
    const text = await deps.activeTextEmbedder();
    await writeDemoData(deps, demo, (p) => ({ ...p, text_embedding: storedEmbedding(text.embed(p.name)) }));
    await runRetrain();
    // Upload the photos in the background; s3rver's ObjectCreated events embed them exactly as S3 → Lambda would.
    const s3 = deps.s3;
    const byId = new Map(demo.products.map((p) => [p.id, p]));
    uploading = (async () => {
      for (const img of demo.images) {
        const key = byId.get(img.productId)!.images[0];
        await s3.send(new PutObjectCommand({ Bucket: deps.config.IMAGES_BUCKET, Key: key, Body: await readFile(path.join(repoRoot, img.file)), ContentType: 'image/jpeg' }));
      }
      await writeFile(marker, JSON.stringify({ seededAt: new Date().toISOString(), products: demo.products.length, users: demo.users.length }));
      log(`uploaded ${demo.images.length} demo photos; embedding them in the background`);
    })().catch((err) => log(`demo photo upload failed (the next start retries): ${err instanceof Error ? err.message : String(err)}`));
  }
  if (!seeded && !(await deps.models.readPointer())) await runRetrain();

  const handlers: Record<LambdaName, LambdaHandler> = {
    recommend: recommend.handler as unknown as LambdaHandler,
    events: events.handler as unknown as LambdaHandler,
    catalog: catalog.handler as unknown as LambdaHandler,
    users: users.handler as unknown as LambdaHandler,
    status: status.handler as unknown as LambdaHandler,
  };
  const secret = process.env.AUTH === 'local' ? localSecret(options.dataDir) : undefined;
  const server = createGateway(
    handlers,
    log,
    secret ? { verify: (token) => verifyToken(secret, token), scopes: { admin: deps.config.ADMIN_SCOPE, service: deps.config.SERVICE_SCOPE } } : undefined,
  );
  await new Promise<void>((resolve) => server.listen(options.port, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const embeddingsIdle = async () => {
    await uploading;
    while (pendingEmbeds > 0) await embedChain;
  };
  if (seeded) {
    void embeddingsIdle().then(async () => {
      log('demo photos embedded; retraining so similar-product search sees them');
      await runRetrain();
      queueReembed();
    });
  } else {
    queueReembed();
  }
  const timer =
    options.retrainIntervalS > 0
      ? setInterval(() => void runRetrain().then(queueReembed, () => undefined), options.retrainIntervalS * 1000)
      : undefined;
  timer?.unref();

  return {
    url,
    processes: { http: process.pid, aws: aws.pid, jobs: jobs.pid },
    retrain: runRetrain,
    embeddingsIdle,
    async stop() {
      stopping = true;
      if (timer) clearInterval(timer);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections?.();
      await embeddingsIdle();
      await retrainChain;
      await jobs.stop();
      await aws.stop();
    },
  };
}
