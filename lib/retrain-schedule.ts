import { Duration } from 'aws-cdk-lib';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction, SfnStateMachine } from 'aws-cdk-lib/aws-events-targets';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { EngineFunction, type EngineFunctionProps } from './engine-function.js';
import { failureQueue } from './failure-queue.js';

/** Options for {@link RetrainSchedule}. */
export interface RetrainScheduleProps {
  /** Minutes between runs. */
  readonly rateMinutes: number;
  /** How the `retrain` Lambda is built. */
  readonly function: EngineFunctionProps;
  /**
   * What the schedule starts instead of the Lambda: a chooser built around it (lib/fargate-retrain.ts)
   * that runs the Lambda or the Fargate task by data size.
   */
  readonly chooser?: (retrain: IFunction) => IStateMachine;
}

/**
 * Flow 5 (Retrain): an EventBridge rule invokes `retrain` every `rateMinutes`. No retries: a failed run
 * leaves the serving model in place (the pointer only moves after the gate) and the next tick tries
 * again; the failure is kept on a queue and raises the retrain-failure alarm.
 */
export class RetrainSchedule extends Construct {
  readonly handler: EngineFunction;
  readonly rule: Rule;
  readonly failures: Queue;

  constructor(scope: Construct, id: string, props: RetrainScheduleProps) {
    super(scope, id);
    this.handler = new EngineFunction(this, 'Retrain', props.function);
    this.failures = failureQueue(this, 'FailedRetrains', 'This queue is itself the dead-letter (on-failure) destination of retrain and of the schedule target.');
    this.handler.fn.configureAsyncInvoke({
      retryAttempts: 0,
      maxEventAge: Duration.minutes(Math.max(1, Math.min(props.rateMinutes, 360))),
      onFailure: new SqsDestination(this.failures),
    });
    const chooser = props.chooser?.(this.handler.fn);
    this.rule = new Rule(this, 'Rule', {
      description: `Retrain the recommender every ${props.rateMinutes} min`,
      schedule: Schedule.rate(Duration.minutes(props.rateMinutes)),
      targets: [
        chooser
          ? new SfnStateMachine(chooser, { retryAttempts: 0, deadLetterQueue: this.failures })
          : new LambdaFunction(this.handler.fn, { retryAttempts: 0, deadLetterQueue: this.failures }),
      ],
    });
  }
}
