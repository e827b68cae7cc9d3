import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CfnOutput, Duration, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import type { Bucket, CfnBucket } from 'aws-cdk-lib/aws-s3';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { ApiAuth } from './api-auth.js';
import { Buckets, CONTENT_MODELS_PREFIX, IMAGES_PREFIX, MODELS_PREFIX } from './buckets.js';
import { CHANGES_INDEX_NAME, DataTables } from './data-tables.js';
import { EngineFunction, type EngineFunctionProps } from './engine-function.js';
import { ImageEmbedding } from './image-embedding.js';
import { ModelsLayer } from './models-layer.js';
import { Observability } from './observability.js';
import { OperationsDashboard } from './operations-dashboard.js';
import { OperatorConsole } from './operator-console.js';
import { RecommendationApi, type ApiFunctionName } from './recommendation-api.js';
import { RetrainSchedule } from './retrain-schedule.js';
import { FargateRetrain } from './fargate-retrain.js';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { API_LAMBDAS } from '../functions/http/routes.js';
import { readStackConfig, type StackConfig } from './stack-config.js';

/** Powertools' service name (a dimension of every EMF data point) and the business metrics' namespace. */
export const SERVICE_NAME = 'gift-recommender';
export const METRICS_NAMESPACE = 'GiftRecommender';

/** The seven Lambda folders under `functions/`. */
export const FUNCTION_NAMES = ['recommend', 'events', 'catalog', 'users', 'status', 'embed-image', 'retrain'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/**
 * Memory and timeout per Lambda, with the reason. Lambda gives CPU in proportion to memory
 * (1 vCPU at 1769 MB, 6 at 10240 MB), so memory is also the CPU knob. Starting points; replace with
 * `npm run bench:*` figures.
 */
export const FUNCTION_SIZES: Record<FunctionName, { memoryMb: number; timeoutS: number; why: string }> = {
  recommend: { memoryMb: 1024, timeoutS: 10, why: 'holds the model snapshot (factors, items, embeddings) and runs the ONNX scorer; ~0.6 vCPU keeps p99 low; 10 s covers a cold start with snapshot load' },
  events: { memoryMb: 512, timeoutS: 10, why: 'validates up to 100 events and writes them; I/O-bound, no model' },
  catalog: { memoryMb: 1024, timeoutS: 10, why: 'product CRUD and presigning, plus /similar which loads item embeddings from the snapshot' },
  users: { memoryMb: 512, timeoutS: 10, why: 'one Get/Put and an interaction-count Query; I/O-bound' },
  status: { memoryMb: 256, timeoutS: 5, why: 'reads the model pointer and manifest; nothing heavy' },
  'embed-image': { memoryMb: 2048, timeoutS: 60, why: 'sharp decode + EfficientNet-B0 (~10 ms/image warm, 110-160 ms session at cold start) + VAE; more than 1 vCPU helps ONNX intra-op threads' },
  retrain: { memoryMb: 4096, timeoutS: 900, why: 'ALS over all interactions in memory, ~2.3 vCPU; 15 min is the Lambda ceiling, past it see docs/deploy.md (Scale)' },
};

/** Options for {@link GiftRecommenderStack}. */
export interface GiftRecommenderStackProps extends StackProps {
  /** Repository root (default: the folder above `lib/`). */
  readonly projectRoot?: string;
  /** Settings; default: read from CDK context ({@link readStackConfig}). */
  readonly config?: StackConfig;
}

type TableName = 'products' | 'interactions' | 'eventIds' | 'onlineMetrics' | 'users' | 'modelRegistry';
/** An S3 key space a Lambda may touch: the images, the collaborative versions, the content models' versions (same bucket as `models`). */
type BucketName = 'images' | 'models' | 'contentModels';
const PREFIX_OF: Record<BucketName, string> = { images: IMAGES_PREFIX, models: MODELS_PREFIX, contentModels: CONTENT_MODELS_PREFIX };

/**
 * What one Lambda may do: DynamoDB actions per table, S3 object actions per bucket (on its key prefix),
 * and `s3:ListBucket` on buckets it reads — without it S3 answers a missing key with 403 instead of
 * 404, and the adapters could not tell "not there yet" from "forbidden".
 */
interface Access {
  readonly tables?: Partial<Record<TableName, string[]>>;
  readonly objects?: Partial<Record<BucketName, string[]>>;
  readonly list?: BucketName[];
  /** Query on the products changes index (its ARN `<table>/index/by-change-day`). */
  readonly queryIndexes?: TableName[];
}

/**
 * Least privilege per Lambda: exactly the DynamoDB/S3 actions its handler performs, on the ARNs of the
 * tables and the key prefix it touches (index ARNs only for the products changes index).
 */
export const FUNCTION_ACCESS: Record<FunctionName, Access> = {
  // listForUser (Query), users.get, catalog.batchGet of the ranked ids, pointer + snapshot files.
  // Products changed since the version: a Query on the products `by-change-day` index.
  recommend: {
    tables: {
      interactions: ['dynamodb:Query'],
      products: ['dynamodb:BatchGetItem'],
      users: ['dynamodb:GetItem'],
      modelRegistry: ['dynamodb:GetItem'],
      // A sampled impression (Put) and its day's counters (Update).
      onlineMetrics: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
    },
    queryIndexes: ['products'],
    objects: { models: ['s3:GetObject'] },
    list: ['models'],
  },
  // catalog.batchGet to reject unknown products; one conditional claim per eventId (Get to tell a
  // duplicate from a conflict, Delete to roll back); the items in one TransactWriteItems (IAM checks
  // its Puts as PutItem; DeleteItem is the compensation where transactions are missing).
  events: {
    tables: {
      interactions: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
      eventIds: ['dynamodb:PutItem', 'dynamodb:GetItem', 'dynamodb:DeleteItem'],
      products: ['dynamodb:BatchGetItem'],
      // Attribution: the impression (Get), a once-only marker (conditional Put), the counters (Update).
      onlineMetrics: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
    },
  },
  // Product get/put, paged listing (Scan), soft delete (UpdateItem), /similar (snapshot + batchGet),
  // presigned PUT/GET of images (signed with this role).
  catalog: {
    tables: {
      products: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:Scan', 'dynamodb:UpdateItem'],
      // The serving pointer, and the text model's (`content-text`) for product names.
      modelRegistry: ['dynamodb:GetItem'],
    },
    queryIndexes: ['products'],
    objects: { images: ['s3:PutObject', 's3:GetObject'], models: ['s3:GetObject'], contentModels: ['s3:GetObject'] },
    list: ['models'],
  },
  // users.get/put, interactions.countForUser and the history (Query), product names for the history.
  users: {
    tables: {
      users: ['dynamodb:GetItem', 'dynamodb:PutItem'],
      interactions: ['dynamodb:Query'],
      products: ['dynamodb:BatchGetItem'],
    },
  },
  // Pointer and the serving manifest; the business rules object (PUT /config writes it).
  status: {
    tables: { modelRegistry: ['dynamodb:GetItem'], onlineMetrics: ['dynamodb:Query'] },
    objects: { models: ['s3:GetObject', 's3:PutObject'] },
    list: ['models'],
  },
  // catalog.get, images.getObject, catalog.setEmbeddings (UpdateItem); the image and text models'
  // pointers (`content-image`, `content-text`) and their active versions' files.
  'embed-image': {
    tables: { products: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], modelRegistry: ['dynamodb:GetItem'] },
    objects: { images: ['s3:GetObject'], contentModels: ['s3:GetObject'] },
    list: ['images', 'models'],
  },
  // Scans of the three data tables, serving manifest, new version files, conditional pointer Put,
  // retention (list + delete old and half-written versions); the uploaded text vectors' check
  // (read and remove incoming/, write a version or a rejection record, swap `content-text`).
  retrain: {
    tables: {
      interactions: ['dynamodb:Scan'],
      products: ['dynamodb:Scan'],
      users: ['dynamodb:Scan'],
      modelRegistry: ['dynamodb:GetItem', 'dynamodb:PutItem'],
    },
    objects: { models: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], contentModels: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'] },
    list: ['models'],
  },
};

/**
 * Which Lambdas mount the models layer. A layer is unpacked at every cold start, so only the ones that
 * load something from it get it: embed-image (onnxruntime-node, sharp, the ONNX files), recommend and
 * retrain (onnxruntime-node: the catalog is scored by an ONNX Runtime MatMul), status (reads
 * `/opt/models/manifest.json` for `GET /model`), catalog (an optional `TEXT_VECTORS_PATH` file lives under
 * `/opt/models`). The infra test fails if a bundle imports onnxruntime-node or sharp without the layer.
 */
export const USES_MODELS_LAYER: Record<FunctionName, boolean> = {
  recommend: true,
  events: false,
  catalog: true,
  users: false,
  status: true,
  'embed-image': true,
  retrain: true,
};

/**
 * The whole engine on AWS: tables, buckets, layer, the seven Lambdas, the HTTP API with its JWT
 * authorizer, the image-embedding notification, the retrain schedule, the alarms, the operations
 * dashboard and the operator console (S3 + CloudFront). It only wires
 * the constructs of `lib/`.
 */
export class GiftRecommenderStack extends Stack {
  readonly config: StackConfig;
  readonly tables: DataTables;
  readonly buckets: Buckets;
  readonly functions: Record<FunctionName, EngineFunction>;

  constructor(scope: Construct, id: string, props: GiftRecommenderStackProps = {}) {
    super(scope, id, { description: 'Gift recommender engine (recommend, events, catalog, embed, retrain)', ...props });
    const root = props.projectRoot ?? resolve(fileURLToPath(new URL('..', import.meta.url)));
    const config = props.config ?? readStackConfig(this.node);
    this.config = config;

    const tables = new DataTables(this, 'Tables', { retainData: config.retainData });
    const buckets = new Buckets(this, 'Buckets', { corsOrigins: config.corsOrigins, retainData: config.retainData });
    this.tables = tables;
    this.buckets = buckets;
    const layerPath = isAbsolute(config.layerDir) ? config.layerDir : join(root, config.layerDir);
    const layer = new ModelsLayer(this, 'ModelsLayer', { path: layerPath }).layer;

    const environment: Record<string, string> = {
      PRODUCTS_TABLE: tables.products.tableName,
      INTERACTIONS_TABLE: tables.interactions.tableName,
      EVENT_IDS_TABLE: tables.eventIds.tableName,
      ONLINE_METRICS_TABLE: tables.onlineMetrics.tableName,
      USERS_TABLE: tables.users.tableName,
      MODEL_REGISTRY_TABLE: tables.modelRegistry.tableName,
      IMAGES_BUCKET: buckets.images.bucketName,
      MODELS_BUCKET: buckets.models.bucketName,
      MODELS_DIR: '/opt/models',
      CURRENCY: config.defaultCurrency,
      // The handlers authorize from the JWT authorizer's claims (functions/http/auth.ts).
      AUTH: 'jwt',
      ADMIN_SCOPE: config.adminScope,
      SERVICE_SCOPE: config.serviceScope,
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      POWERTOOLS_LOG_LEVEL: 'INFO',
    };
    const functionProps = (name: FunctionName): EngineFunctionProps => ({
      entry: join(root, 'functions', name, 'handler.ts'),
      projectRoot: root,
      description: `gift-recommender ${name}: ${FUNCTION_SIZES[name].why}`.slice(0, 256),
      memorySize: FUNCTION_SIZES[name].memoryMb,
      timeout: Duration.seconds(FUNCTION_SIZES[name].timeoutS),
      environment,
      layers: USES_MODELS_LAYER[name] ? [layer] : [],
      logRetention: config.logRetentionDays as RetentionDays,
      trainsModels: name === 'retrain',
    });

    const apiFns = {} as Record<ApiFunctionName, EngineFunction>;
    const apiLambdas = {} as Record<ApiFunctionName, IFunction>;
    for (const name of API_LAMBDAS) {
      apiFns[name] = new EngineFunction(this, pascal(name), functionProps(name));
      apiLambdas[name] = apiFns[name].fn;
    }
    const embedding = new ImageEmbedding(this, 'ImageEmbedding', {
      bucket: buckets.images,
      prefix: IMAGES_PREFIX,
      function: { ...functionProps('embed-image'), reservedConcurrency: config.embedConcurrency },
    });
    let fargate: FargateRetrain | undefined;
    const retrain = new RetrainSchedule(this, 'RetrainSchedule', {
      rateMinutes: config.retrainRateMinutes,
      function: functionProps('retrain'),
      chooser: (retrainFunction) => {
        fargate = new FargateRetrain(this, 'FargateRetrain', {
          retrainFunction,
          tables,
          bucket: buckets.models,
          modelsPrefix: MODELS_PREFIX,
          contentModelsPrefix: CONTENT_MODELS_PREFIX,
          projectRoot: root,
          environment,
          logRetention: config.logRetentionDays as RetentionDays,
          fargateThreshold: config.fargateRetrainThreshold,
        });
        return fargate.stateMachine;
      },
    });
    this.functions = { ...apiFns, 'embed-image': embedding.handler, retrain: retrain.handler };

    const tableOf: Record<TableName, ITableV2> = {
      products: tables.products,
      interactions: tables.interactions,
      eventIds: tables.eventIds,
      onlineMetrics: tables.onlineMetrics,
      users: tables.users,
      modelRegistry: tables.modelRegistry,
    };
    const bucketOf: Record<BucketName, Bucket> = { images: buckets.images, models: buckets.models, contentModels: buckets.models };
    const objectArn: Record<BucketName, string> = {
      images: buckets.images.arnForObjects(`${IMAGES_PREFIX}*`),
      models: buckets.models.arnForObjects(`${MODELS_PREFIX}*`),
      contentModels: buckets.models.arnForObjects(`${CONTENT_MODELS_PREFIX}*`),
    };
    for (const name of FUNCTION_NAMES) {
      const role = this.functions[name].role;
      const access = FUNCTION_ACCESS[name];
      for (const [table, actions] of Object.entries(access.tables ?? {}) as [TableName, string[]][]) {
        role.addToPrincipalPolicy(new PolicyStatement({ actions, resources: [tableOf[table].tableArn] }));
      }
      for (const [bucket, actions] of Object.entries(access.objects ?? {}) as [BucketName, string[]][]) {
        role.addToPrincipalPolicy(new PolicyStatement({ actions, resources: [objectArn[bucket]] }));
        const logicalId = this.resolve(this.getLogicalId(bucketOf[bucket].node.defaultChild as CfnBucket)) as string;
        Validations.of(this.functions[name]).acknowledge({
          id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>/${PREFIX_OF[bucket]}*]`,
          reason: `Object-level S3 actions can only name objects by key pattern; this one is limited to the ${PREFIX_OF[bucket]} prefix of one bucket.`,
        });
      }
      for (const table of access.queryIndexes ?? []) {
        role.addToPrincipalPolicy(new PolicyStatement({ actions: ['dynamodb:Query'], resources: [`${tableOf[table].tableArn}/index/${CHANGES_INDEX_NAME}`] }));
      }
      for (const bucket of access.list ?? []) {
        role.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:ListBucket'], resources: [bucketOf[bucket].bucketArn] }));
      }
    }

    const auth = new ApiAuth(this, 'Auth', {
      jwtIssuer: config.jwtIssuer,
      jwtAudience: config.jwtAudience,
      adminScope: config.adminScope,
      serviceScope: config.serviceScope,
      domainPrefix: config.authDomainPrefix,
      retainData: config.retainData,
    });
    // The console's distribution comes first: the API's CORS names its origin.
    const operatorConsole = new OperatorConsole(this, 'Console', {
      imagesBucket: buckets.images,
      accessLogs: buckets.accessLogs,
      retainData: config.retainData,
    });
    const api = new RecommendationApi(this, 'Api', {
      functions: apiLambdas,
      jwtIssuer: auth.issuer,
      jwtAudience: auth.audience,
      adminScope: auth.adminScope,
      serviceScope: auth.serviceScope,
      writeRateLimit: config.writeRateLimit,
      writeBurstLimit: config.writeBurstLimit,
      rateLimit: config.apiRateLimit,
      burstLimit: config.apiBurstLimit,
      corsOrigins: [...config.corsOrigins, operatorConsole.origin],
      logRetention: config.logRetentionDays as RetentionDays,
    });
    operatorConsole.deployFiles(api.stage.url);

    const fns: Record<string, IFunction> = Object.fromEntries(FUNCTION_NAMES.map((n) => [n, this.functions[n].fn]));
    const observability = new Observability(this, 'Observability', {
      functions: fns,
      retrain: retrain.handler.fn,
      retrainRateMinutes: config.retrainRateMinutes,
      deadLetterQueues: { FailedEmbeddings: embedding.deadLetterQueue, FailedRetrains: retrain.failures },
      api: api.api,
      alarmEmail: config.alarmEmail,
    });
    fargate!.addAlarms(new SnsAction(observability.topic));
    const dashboard = new OperationsDashboard(this, 'Operations', {
      namespace: METRICS_NAMESPACE,
      serviceName: SERVICE_NAME,
      api: api.api,
      functions: fns,
      deadLetterQueues: { FailedEmbeddings: embedding.deadLetterQueue, FailedRetrains: retrain.failures },
    });

    // Outputs at stack level so their names are stable (docs/deploy.md reads them by name).
    new CfnOutput(this, 'ApiUrl', { value: api.stage.url });
    if (auth.userPool && auth.appClient && auth.adminClient && auth.tokenUrl) {
      new CfnOutput(this, 'UserPoolId', { value: auth.userPool.userPoolId });
      new CfnOutput(this, 'AppClientId', { value: auth.appClient.userPoolClientId });
      new CfnOutput(this, 'AdminClientId', { value: auth.adminClient.userPoolClientId });
      new CfnOutput(this, 'TokenUrl', { value: auth.tokenUrl });
    }
    new CfnOutput(this, 'AdminScope', { value: auth.adminScope });
    new CfnOutput(this, 'ImagesBucketName', { value: buckets.images.bucketName });
    new CfnOutput(this, 'ModelsBucketName', { value: buckets.models.bucketName });
    new CfnOutput(this, 'ModelRegistryTableName', { value: tables.modelRegistry.tableName });
    // `npm run reembed` against the deployment reads the products table by name (docs/deploy.md › Image and text models).
    new CfnOutput(this, 'ProductsTableName', { value: tables.products.tableName });
    new CfnOutput(this, 'RetrainFunctionName', { value: retrain.handler.fn.functionName });
    new CfnOutput(this, 'RetrainRuleName', { value: retrain.rule.ruleName });
    new CfnOutput(this, 'RetrainChooserArn', { value: fargate!.stateMachine.stateMachineArn });
    new CfnOutput(this, 'RetrainClusterName', { value: fargate!.cluster.clusterName });
    new CfnOutput(this, 'EmbedImageFunctionName', { value: embedding.handler.fn.functionName });
    new CfnOutput(this, 'FailedEmbeddingsQueueUrl', { value: embedding.deadLetterQueue.queueUrl });
    new CfnOutput(this, 'FailedRetrainsQueueUrl', { value: retrain.failures.queueUrl });
    new CfnOutput(this, 'AlarmTopicArn', { value: observability.topic.topicArn });
    new CfnOutput(this, 'ConsoleUrl', { value: operatorConsole.origin });
    new CfnOutput(this, 'DashboardName', { value: dashboard.dashboard.dashboardName });
  }
}

function pascal(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());
}
