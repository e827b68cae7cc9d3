/**
 * The SDK clients (functions/adapters/bootstrap.ts creates one of each per container). Endpoints come
 * from the standard `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL_S3` variables, which the SDK
 * reads itself, so the same code talks to dynalite and s3rver locally and to AWS in the cloud.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';

/**
 * The SDK's logger. Its default no-op logger has an `info` method, so after every call the SDK's
 * logger middleware walks the whole input and output to mask sensitive fields (`schemaLogFilter`,
 * visible in a CPU profile of the recommend handler) for a log line nobody writes. Without
 * `info` and `error` that step is skipped; `debug` must exist (the SDK calls `logger?.debug(…)`),
 * and warnings still reach the console as they do by default.
 */
type SdkLogger = NonNullable<NonNullable<ConstructorParameters<typeof DynamoDBClient>[0]>['logger']>;

export const SDK_LOGGER = {
  debug: () => undefined,
  warn: (...args: unknown[]) => console.warn(...args),
} as unknown as SdkLogger;

export function createDocumentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({ logger: SDK_LOGGER }), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

/** `customEndpoint`: s3rver needs path-style addressing. */
export function createS3Client(options: { customEndpoint: boolean }): S3Client {
  return new S3Client({
    logger: SDK_LOGGER,
    // Path-style and "checksum only when required": s3rver corrupts aws-chunked uploads.
    forcePathStyle: options.customEndpoint,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
