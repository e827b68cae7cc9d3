/**
 * The embedded AWS stand-ins of the local runtime and the integration tests: dynalite (DynamoDB
 * API) and s3rver (S3 API) on loopback, with the same tables and buckets the CDK stack creates.
 * Handlers reach them through the real AWS SDK via AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_S3.
 */
import dynalite from 'dynalite';
import S3rver from 's3rver';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import {
  CreateTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  waitUntilTableExists,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { loadConfig } from '../../functions/config.js';
import { CHANGES_INDEX } from '../../functions/adapters/dynamo-stores.js';
import type { S3Event } from 'aws-lambda';

export interface EmbeddedAws {
  env: Record<string, string>;
  /** Subscribe to s3rver's S3-format notifications (ObjectCreated:*, ObjectRemoved:*). */
  onS3Event(listener: (event: S3Event) => void): void;
  stop(): Promise<void>;
}

export interface EmbeddedAwsOptions {
  /** s3rver's objects live under `dataDir/s3`, and dynalite's tables too unless `persistDynamo` is false (in memory). */
  dataDir: string;
  persistDynamo?: boolean;
}

function tableDefinitions(cfg: ReturnType<typeof loadConfig>): CreateTableCommandInput[] {
  const onDemand = { BillingMode: 'PAY_PER_REQUEST' as const };
  return [
    {
      TableName: cfg.PRODUCTS_TABLE,
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      AttributeDefinitions: [
        { AttributeName: 'id', AttributeType: 'S' },
        { AttributeName: CHANGES_INDEX.partitionKey, AttributeType: 'S' },
        { AttributeName: CHANGES_INDEX.sortKey, AttributeType: 'N' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: CHANGES_INDEX.name,
          KeySchema: [
            { AttributeName: CHANGES_INDEX.partitionKey, KeyType: 'HASH' },
            { AttributeName: CHANGES_INDEX.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
      ...onDemand,
    },
    { TableName: cfg.USERS_TABLE, KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }], ...onDemand },
    {
      TableName: cfg.INTERACTIONS_TABLE,
      KeySchema: [
        { AttributeName: 'userId', KeyType: 'HASH' },
        { AttributeName: 'eventId', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'userId', AttributeType: 'S' },
        { AttributeName: 'eventId', AttributeType: 'S' },
      ],
      ...onDemand,
    },
    {
      TableName: cfg.ONLINE_METRICS_TABLE,
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      ...onDemand,
    },
    { TableName: cfg.EVENT_IDS_TABLE, KeySchema: [{ AttributeName: 'eventId', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'eventId', AttributeType: 'S' }], ...onDemand },
    { TableName: cfg.MODEL_REGISTRY_TABLE, KeySchema: [{ AttributeName: 'name', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'name', AttributeType: 'S' }], ...onDemand },
  ];
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

/** Starts both servers, creates missing tables and buckets, and returns the SDK environment. */
export async function startEmbeddedAws(options: EmbeddedAwsOptions): Promise<EmbeddedAws> {
  const dynamoDir = path.join(options.dataDir, 'dynamodb');
  const s3Dir = path.join(options.dataDir, 's3');
  mkdirSync(s3Dir, { recursive: true });
  if (options.persistDynamo !== false) mkdirSync(dynamoDir, { recursive: true });

  const dynamoServer = dynalite({ path: options.persistDynamo === false ? undefined : dynamoDir, createTableMs: 0, deleteTableMs: 0 });
  // Port 0: the OS picks free ports, so several runtimes (tests, a dev server) can run at once.
  const dynamoPort = await listen(dynamoServer, 0);
  const s3rver = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: s3Dir });
  const { port: s3Port } = await s3rver.run();

  const env: Record<string, string> = {
    AWS_REGION: 'us-east-1',
    // s3rver accepts only these credentials; dynalite accepts any.
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${dynamoPort}`,
    AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${s3Port}`,
  };
  for (const key of ['PRODUCTS_TABLE', 'INTERACTIONS_TABLE', 'EVENT_IDS_TABLE', 'ONLINE_METRICS_TABLE', 'USERS_TABLE', 'MODEL_REGISTRY_TABLE', 'IMAGES_BUCKET', 'MODELS_BUCKET']) {
    if (process.env[key]) env[key] = process.env[key] as string;
  }
  const cfg = loadConfig(env);

  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  const ddb = new DynamoDBClient({ region: env.AWS_REGION, endpoint: env.AWS_ENDPOINT_URL_DYNAMODB, credentials });
  const existing = new Set((await ddb.send(new ListTablesCommand({}))).TableNames ?? []);
  for (const def of tableDefinitions(cfg)) {
    if (existing.has(def.TableName!)) continue;
    await ddb.send(new CreateTableCommand(def));
    await waitUntilTableExists({ client: ddb, maxWaitTime: 30, minDelay: 1 }, { TableName: def.TableName });
  }
  ddb.destroy();

  const s3 = new S3Client({ region: env.AWS_REGION, endpoint: env.AWS_ENDPOINT_URL_S3, forcePathStyle: true, credentials });
  const buckets = new Set(((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).map((b) => b.Name));
  for (const bucket of [cfg.IMAGES_BUCKET, cfg.MODELS_BUCKET]) {
    if (!buckets.has(bucket)) await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  }
  s3.destroy();

  return {
    env,
    onS3Event(listener) {
      s3rver.on('event', listener);
    },
    async stop() {
      await s3rver.close();
      await new Promise<void>((resolve) => dynamoServer.close(() => resolve()));
    },
  };
}
