/**
 * The SDK clients, created once per container. Endpoints come from the standard
 * `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL_S3` variables, so the same code talks to
 * dynalite and s3rver locally and to AWS in the cloud.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';

let dynamo: DynamoDBDocumentClient | undefined;
let s3: S3Client | undefined;

export function documentClient(): DynamoDBDocumentClient {
  dynamo ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return dynamo;
}

export function s3Client(): S3Client {
  s3 ??= new S3Client({
    // Path-style and "checksum only when required": s3rver corrupts aws-chunked uploads.
    forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3),
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return s3;
}

/** Forget the clients (tests that restart the embedded servers on new ports). */
export function resetClients(): void {
  dynamo?.destroy();
  s3?.destroy();
  dynamo = undefined;
  s3 = undefined;
}
