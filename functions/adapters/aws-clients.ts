/**
 * The SDK clients (functions/adapters/bootstrap.ts creates one of each per container). Endpoints come
 * from the standard `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL_S3` variables, which the SDK
 * reads itself, so the same code talks to dynalite and s3rver locally and to AWS in the cloud.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';

export function createDocumentClient(): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
}

/** `customEndpoint`: s3rver needs path-style addressing. */
export function createS3Client(options: { customEndpoint: boolean }): S3Client {
  return new S3Client({
    // Path-style and "checksum only when required": s3rver corrupts aws-chunked uploads.
    forcePathStyle: options.customEndpoint,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}
