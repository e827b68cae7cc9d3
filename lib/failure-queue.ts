import { Duration, Validations } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * The on-failure (dead-letter) queue of an asynchronously invoked Lambda: SQS-managed encryption,
 * TLS only, 14 days to re-drive by hand. `reason` tells cdk-nag why it has no DLQ of its own.
 */
export function failureQueue(scope: Construct, id: string, reason: string): Queue {
  const queue = new Queue(scope, id, { encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true, retentionPeriod: Duration.days(14) });
  Validations.of(queue).acknowledge({ id: 'AwsSolutions-SQS3', reason });
  return queue;
}
