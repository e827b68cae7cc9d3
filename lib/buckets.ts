import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  HttpMethods,
  ObjectOwnership,
  type BucketProps,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** Options for {@link Buckets}. */
export interface BucketsProps {
  /** Origins allowed to upload (presigned POST) / download (presigned GET) from a browser. Default: none (no CORS). */
  readonly corsOrigins?: string[];
  /** Keep the buckets when the stack goes away. Default true. */
  readonly retainData?: boolean;
}

/** Key prefix the catalog writes photos under and the embed notification listens to. */
export { IMAGES_PREFIX } from '../functions/core/domain/product-images.js';
/** Key prefix of immutable model versions (`models/{version}/…`). */
export const MODELS_PREFIX = 'models/';
/** Key prefix of the image and text models' versions and the text model's uploads (functions/adapters/content-models.ts). */
export { CONTENT_MODELS_PREFIX } from '../functions/core/content/content-model-version.js';

/**
 * What every bucket of the engine has: SSE-S3, TLS 1.2+ only, all public access blocked, ACLs
 * disabled; kept or destroyed with the stack as `retain` says.
 */
export function secureBucketProps(retain: boolean): BucketProps {
  return {
    encryption: BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
    removalPolicy: retain ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
  };
}

/**
 * The engine's S3 buckets: product images and model versions, both private (all public access
 * blocked, ACLs disabled), SSE-S3 encrypted, TLS 1.2+ only, with server access logs kept in a third
 * bucket. Images take presigned PUTs from the app, hence CORS; models are versioned so an overwritten
 * or deleted version can be restored.
 */
export class Buckets extends Construct {
  /** `IMAGES_BUCKET`: `images/{productId}/{file}`. */
  readonly images: Bucket;
  /** `MODELS_BUCKET`: `models/{version}/…`, versioned. */
  readonly models: Bucket;
  /** Server access logs of the two buckets above (expire after 90 days). */
  readonly accessLogs: Bucket;

  constructor(scope: Construct, id: string, props: BucketsProps = {}) {
    super(scope, id);
    // Log delivery through a bucket policy, not the legacy LogDeliveryWrite ACL (ACLs stay disabled).
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const secure = secureBucketProps(props.retainData ?? true);
    this.accessLogs = new Bucket(this, 'AccessLogs', {
      ...secure,
      lifecycleRules: [{ expiration: Duration.days(90) }],
    });
    Validations.of(this.accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket itself; logging it into itself would loop.',
    });
    this.images = new Bucket(this, 'Images', {
      ...secure,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'images-bucket/',
      // Presigned POST (upload, with its size/type policy) and GET (download) from a browser app on
      // the listed origins only; without origins there is no CORS (native apps need none).
      cors:
        (props.corsOrigins ?? []).length > 0
          ? [
              {
                allowedMethods: [HttpMethods.POST, HttpMethods.GET],
                allowedOrigins: props.corsOrigins!,
                allowedHeaders: ['*'],
                exposedHeaders: ['ETag'],
                maxAge: 3000,
              },
            ]
          : undefined,
    });
    this.models = new Bucket(this, 'Models', {
      ...secure,
      versioned: true,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'models-bucket/',
      // Versions are immutable by key; a noncurrent copy only exists after an accidental overwrite/delete.
      // Retention (functions/retrain/retention.ts) deletes old versions; as a backstop, noncurrent
      // copies expire after 30 days and abandoned multipart uploads after 1. Current objects are never
      // expired by age: the serving version may be old when no new events arrive.
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(30), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
    });
  }
}
