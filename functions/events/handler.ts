/**
 * `POST /events`: 1–100 events, all validated (shape and known products) before any is written,
 * then stored idempotently by eventId. Gift orders (`receiverId`) count for the receiver.
 */
import { getDeps } from '../adapters/bootstrap.js';
import { apiHandler, json, parseInput, type ApiEvent } from '../http/api.js';
import { attributeEvents } from './attribute-events.js';
import { EventsBody, MAX_EVENTS_PER_REQUEST } from '../http/schemas.js';
import { InvalidInput } from '../core/domain/errors.js';
import { EVENT_TYPES, type InteractionEvent } from '../core/domain/types.js';

export { MAX_EVENTS_PER_REQUEST };

export const handler = apiHandler(
  {
    'POST /events': async (event: ApiEvent) => {
      const body = parseInput(EventsBody, event.body, 'body');
      const { interactions, catalog } = getDeps();
      const now = Date.now();
      const events: InteractionEvent[] = body.events.map((e) => ({
        ...e,
        type: e.type as InteractionEvent['type'],
        receiverId: e.type === 'order' ? e.receiverId : undefined,
        timestamp: e.timestamp ?? now,
      }));
      const ids = new Set(events.map((e) => e.eventId));
      if (ids.size !== events.length) throw new InvalidInput('eventId values must be unique within a request');
      const known = new Set((await catalog.batchGet([...new Set(events.map((e) => e.productId))])).map((p) => p.id));
      const unknown = [...new Set(events.map((e) => e.productId).filter((id) => !known.has(id)))];
      if (unknown.length > 0) {
        throw new InvalidInput(`Unknown productId: ${unknown.slice(0, 5).join(', ')}`, unknown.map((id) => ({ path: 'productId', message: `unknown product ${id}` })));
      }
      const { accepted, duplicates } = await interactions.putEvents(events);
      const { onlineMetrics, logger, config } = getDeps();
      await attributeEvents({ onlineMetrics, logger, windowMs: config.ATTRIBUTION_WINDOW_HOURS * 3_600_000 }, events);
      return json(200, { accepted, duplicates });
    },
  },
  getDeps().logger,
);
