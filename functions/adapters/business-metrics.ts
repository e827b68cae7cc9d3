/**
 * The {@link BusinessMetrics} port's two adapters: CloudWatch embedded metric format through
 * Powertools Metrics (AWS), and counters kept in the process that GET /metrics shows (local runtime).
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { BUSINESS_METRICS, type BusinessMetricName, type BusinessMetrics, type CounterSnapshot } from '../core/domain/ports.js';

/** The dimension a counter is split by, if it has one and a value was given. */
function dimensionOf(name: BusinessMetricName, value: string | undefined): string | undefined {
  const dimension = (BUSINESS_METRICS[name] as { dimension?: string }).dimension;
  return dimension !== undefined && value !== undefined ? dimension : undefined;
}

/**
 * One EMF document per data point, written at once (Powertools' single-metric mode): the data points
 * come from different places of a request, some carry a dimension, and none may wait for a flush a
 * crashed invocation would never reach.
 */
export class EmfBusinessMetrics implements BusinessMetrics {
  constructor(private readonly metrics: Metrics) {}

  count(name: BusinessMetricName, value = 1, dimensionValue?: string, metadata?: Record<string, string>): void {
    const single = this.metrics.singleMetric();
    const dimension = dimensionOf(name, dimensionValue);
    if (dimension) single.addDimension(dimension, dimensionValue!);
    for (const [k, v] of Object.entries(metadata ?? {})) single.addMetadata(k, v);
    single.addMetric(name, MetricUnit.Count, value);
  }
}

export type { CounterSnapshot };

/** Counters summed in this process (the local runtime serves every route from one process). */
export class InMemoryBusinessMetrics implements BusinessMetrics {
  private readonly totals = new Map<string, number>();
  private readonly since = new Date().toISOString();

  count(name: BusinessMetricName, value = 1, dimensionValue?: string): void {
    const dimension = dimensionOf(name, dimensionValue);
    const key = dimension ? `${name}{${dimension}=${dimensionValue}}` : name;
    this.totals.set(key, (this.totals.get(key) ?? 0) + value);
  }

  snapshot(): CounterSnapshot {
    return { since: this.since, values: Object.fromEntries([...this.totals].sort(([a], [b]) => a.localeCompare(b))) };
  }
}
