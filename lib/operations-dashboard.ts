import { Duration } from 'aws-cdk-lib';
import type { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  SingleValueWidget,
  TextWidget,
  type IMetric,
  type IWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BUSINESS_METRICS, type BusinessMetricName } from '../functions/core/domain/ports.js';
import { FUNNEL_EVENT_TYPES } from '../functions/core/domain/types.js';

/** Options for {@link OperationsDashboard}. */
export interface OperationsDashboardProps {
  /** CloudWatch namespace of the business counters (the handlers' `POWERTOOLS_METRICS_NAMESPACE`). */
  readonly namespace: string;
  /** Powertools' service name: every EMF data point carries it as the `service` dimension. */
  readonly serviceName: string;
  readonly api: HttpApi;
  /** Every Lambda of the engine, by its folder name. */
  readonly functions: Record<string, IFunction>;
  readonly deadLetterQueues: Record<string, IQueue>;
}

const PERIOD = Duration.minutes(5);

/**
 * One CloudWatch dashboard an operator opens first: the API (requests, errors, latency), the
 * Lambdas (duration, errors), the business counters the handlers emit as EMF (recommendations
 * served, cold-start answers, promoted shortfall, model fallbacks, rejected uploads) and the online
 * quality figures (impressions, attributed events by type, and their rate per impression).
 *
 * The business metrics are read from {@link BUSINESS_METRICS} with exactly the dimension sets the
 * Powertools EMF documents carry (`service`, plus the counter's own dimension), so the graphs and
 * the emitted data cannot drift apart (test/infra/dashboard.test.ts compares them).
 */
export class OperationsDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: OperationsDashboardProps) {
    super(scope, id);
    this.dashboard = new Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(6) });
    const fns = Object.entries(props.functions);
    const counter = (name: BusinessMetricName, extra: Record<string, string> = {}, label: string = name) =>
      businessMetric(props, name, extra, label);

    const rows: IWidget[][] = [
      [
        new TextWidget({
          markdown:
            '# Gift recommender\nBusiness counters and online metrics come from the handlers (Powertools EMF, ' +
            `namespace \`${props.namespace}\`); per model version and per reason they are in \`GET /metrics\`.`,
          width: 24,
          height: 2,
        }),
      ],
      [
        graph('API requests and errors', [props.api.metricCount({ period: PERIOD, statistic: 'Sum' })], [
          props.api.metricClientError({ period: PERIOD, statistic: 'Sum' }),
          props.api.metricServerError({ period: PERIOD, statistic: 'Sum' }),
        ]),
        graph('API latency (ms)', [
          props.api.metricLatency({ period: PERIOD, statistic: 'p50', label: 'p50' }),
          props.api.metricLatency({ period: PERIOD, statistic: 'p99', label: 'p99' }),
        ]),
        graph('Lambda duration p99 (ms)', fns.map(([name, fn]) => fn.metricDuration({ period: PERIOD, statistic: 'p99', label: name }))),
        graph(
          'Lambda errors and throttles',
          fns.map(([name, fn]) => fn.metricErrors({ period: PERIOD, statistic: 'Sum', label: `${name} errors` })),
          fns.map(([name, fn]) => fn.metricThrottles({ period: PERIOD, statistic: 'Sum', label: `${name} throttles` })),
        ),
      ],
      [
        graph('Recommendations served', [counter('RecommendationsServed'), counter('ColdStartAnswers')]),
        graph('Promoted shortfall and model fallbacks', [counter('PromotedShortfall'), counter('ModelFallback')]),
        graph('Rejected image uploads, by reason', [searchByDimension(props, 'EmbedRejected')]),
        graph(
          'Dead-letter queues (messages)',
          Object.entries(props.deadLetterQueues).map(([name, q]) =>
            q.metricApproximateNumberOfMessagesVisible({ period: PERIOD, statistic: 'Maximum', label: name }),
          ),
        ),
      ],
      onlineMetricsRow(props, counter),
    ];
    for (const row of rows) this.dashboard.addWidgets(...row);
  }
}

/** Impressions, attributed events per type, and each type's rate per 100 impressions (last 24 h as numbers too). */
function onlineMetricsRow(
  props: OperationsDashboardProps,
  counter: (name: BusinessMetricName, extra?: Record<string, string>, label?: string) => Metric,
): IWidget[] {
  const impressions = counter('RecommendationImpressions', {}, 'impressions');
  const attributed = Object.fromEntries(
    FUNNEL_EVENT_TYPES.map((type) => [type, counter('AttributedEvents', { [BUSINESS_METRICS.AttributedEvents.dimension]: type }, `attributed ${type}`)]),
  );
  const rate = (type: string) =>
    new MathExpression({
      expression: `100 * FILL(${type}, 0) / impressions`,
      usingMetrics: { impressions, [type]: attributed[type] },
      label: `${type} per 100 impressions`,
      period: PERIOD,
    });
  return [
    graph('Impressions and attributed events', [impressions], Object.values(attributed)),
    graph('Attributed events per 100 impressions', FUNNEL_EVENT_TYPES.map(rate)),
    new SingleValueWidget({
      title: 'Last 24 h',
      metrics: [impressions, ...Object.values(attributed)].map((m) => m.with({ period: Duration.days(1) })),
      width: 12,
      height: 6,
    }),
  ];
}

function graph(title: string, left: IMetric[], right: IMetric[] = []): GraphWidget {
  return new GraphWidget({ title, left, right, width: 6, height: 6 });
}

/** A business counter as the EMF documents carry it: the `service` dimension plus the counter's own. */
function businessMetric(props: OperationsDashboardProps, name: BusinessMetricName, extra: Record<string, string>, label: string): Metric {
  return new Metric({
    namespace: props.namespace,
    metricName: name,
    dimensionsMap: { service: props.serviceName, ...extra },
    statistic: 'Sum',
    period: PERIOD,
    label,
  });
}

/** Every value of a dimensioned counter (e.g. each rejection reason) as its own line, found by a SEARCH expression. */
function searchByDimension(props: OperationsDashboardProps, name: 'EmbedRejected'): MathExpression {
  const dimension = BUSINESS_METRICS[name].dimension;
  return new MathExpression({
    expression: `SEARCH('{${props.namespace},service,${dimension}} MetricName="${name}" service="${props.serviceName}"', 'Sum', ${PERIOD.toSeconds()})`,
    usingMetrics: {},
    label: name,
    period: PERIOD,
  });
}
