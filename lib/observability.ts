import { Duration, Validations } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** Options for {@link Observability}. */
export interface ObservabilityProps {
  /** Every Lambda of the engine, by its folder name. */
  readonly functions: Record<string, IFunction>;
  /** The retrain Lambda (its failure alarm looks back over one schedule period). */
  readonly retrain: IFunction;
  readonly retrainRateMinutes: number;
  /** Dead-letter queues; any message on them is an alarm. */
  readonly deadLetterQueues: Record<string, IQueue>;
  readonly api: HttpApi;
  /** Optional email subscribed to the alarm topic. */
  readonly alarmEmail?: string;
}

/**
 * Alarms on what needs a human: Lambda errors and throttles (per function), anything on a
 * dead-letter queue, a failed retrain, API 5xx. All notify one SNS topic (email optional).
 * Request metrics and structured logs come from Powertools inside the handlers.
 */
export class Observability extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    this.topic = new Topic(this, 'AlarmTopic', { displayName: 'Gift recommender alarms', enforceSSL: true });
    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason: 'Alarm notifications carry only alarm names and states; CloudWatch cannot publish to a topic under the AWS-managed SNS key, and a customer key adds cost for no confidentiality gain.',
    });
    if (props.alarmEmail !== undefined) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
    const action = new SnsAction(this.topic);
    const add = (alarmId: string, metric: IMetric, description: string, periods = 1) => {
      const alarm = new Alarm(this, alarmId, {
        metric,
        threshold: 1,
        evaluationPeriods: periods,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      alarm.addAlarmAction(action);
      this.alarms.push(alarm);
    };
    const five = Duration.minutes(5);
    for (const [name, fn] of Object.entries(props.functions)) {
      add(`${name}Errors`, fn.metricErrors({ period: five, statistic: 'Sum' }), `${name}: invocation errors (unhandled exceptions / timeouts) in 5 min`);
      add(`${name}Throttles`, fn.metricThrottles({ period: five, statistic: 'Sum' }), `${name}: throttled invocations in 5 min (concurrency limit reached)`);
    }
    for (const [name, queue] of Object.entries(props.deadLetterQueues)) {
      add(
        `${name}Depth`,
        queue.metricApproximateNumberOfMessagesVisible({ period: five, statistic: 'Maximum' }),
        `${name}: failed events waiting on the dead-letter queue`,
      );
    }
    // A retrain failure stays visible for one whole schedule period, so the alarm does not flap back to OK
    // between two runs (CloudWatch periods are whole minutes, at most one day for an alarm).
    const periodMin = Math.max(5, Math.min(props.retrainRateMinutes, 24 * 60));
    add(
      'RetrainFailed',
      props.retrain.metricErrors({ period: Duration.minutes(periodMin), statistic: 'Sum' }),
      'retrain failed: the serving model was kept; see the retrain log group and the FailedRetrains queue',
    );
    add('Api5xx', props.api.metricServerError({ period: five, statistic: 'Sum' }), 'HTTP API answered 5xx');
  }
}
