/**
 * `acceptEvents`: a batch of interaction events is validated as a whole (unique ids, known
 * products) before any is written, then stored idempotently by eventId. Only orders carry a
 * receiver: a gift order counts for the person it is for; only reviews carry a rating and text
 * (the request schema enforces both). Stored events that cite a recommendation are then attributed
 * to it (online metrics).
 */
import { InvalidInput } from '../core/domain/errors.js';
import type { Logger } from '@aws-lambda-powertools/logger';
import type { BusinessMetrics, CatalogStore, InteractionStore, OnlineMetricsStore } from '../core/domain/ports.js';
import { attributeEvents } from './attribute-events.js';
import { MAX_CLOCK_SKEW_MS, type InteractionEvent } from '../core/domain/types.js';

export interface AcceptEventsDeps {
  catalog: CatalogStore;
  interactions: InteractionStore;
  onlineMetrics: OnlineMetricsStore;
  logger: Logger;
  /** How long after an impression an event about a shown product is credited to it. */
  attributionWindowMs: number;
  /** Business counters (attributed events, by type). */
  metrics?: BusinessMetrics;
}

/** An event as the caller sent it (validated): timestamp optional; only orders name a receiver. */
export type IncomingEvent = Omit<InteractionEvent, 'timestamp' | 'type'> & { type: string; timestamp?: number };

export async function acceptEvents(deps: AcceptEventsDeps, incoming: readonly IncomingEvent[], now = Date.now()): Promise<{ accepted: number; duplicates: number }> {
  const events: InteractionEvent[] = incoming.map((e) => ({
    ...e,
    type: e.type as InteractionEvent['type'],
    receiverId: e.receiverId,
    timestamp: e.timestamp ?? now,
  }));
  const future = events.flatMap((e, i) => (e.timestamp > now + MAX_CLOCK_SKEW_MS ? [{ path: `events.${i}.timestamp`, message: 'in the future' }] : []));
  if (future.length > 0) {
    throw new InvalidInput(`Invalid body: ${future[0].path}: more than ${MAX_CLOCK_SKEW_MS / 60_000} minutes in the future`, { details: future });
  }
  const ids = new Set(events.map((e) => e.eventId));
  if (ids.size !== events.length) throw new InvalidInput('eventId values must be unique within a request');
  const known = new Set((await deps.catalog.batchGetPublic([...new Set(events.map((e) => e.productId))])).map((p) => p.id));
  const unknown = [...new Set(events.map((e) => e.productId).filter((id) => !known.has(id)))];
  if (unknown.length > 0) {
    throw new InvalidInput(`Unknown productId: ${unknown.slice(0, 5).join(', ')}`, { details: unknown.map((id) => ({ path: 'productId', message: `unknown product ${id}` })) });
  }
  const stored = await deps.interactions.putEvents(events);
  await attributeEvents({ onlineMetrics: deps.onlineMetrics, logger: deps.logger, windowMs: deps.attributionWindowMs, metrics: deps.metrics }, events);
  return stored;
}
