/**
 * `POST /events`: 1–100 events, all validated (shape and known products) before any is written,
 * then stored idempotently by eventId. Gift orders (`receiverId`) count for the receiver.
 */
import { z } from 'zod';
import { getDeps } from '../adapters/bootstrap.js';
import { apiHandler, idString, json, parseInput, type ApiEvent } from '../http/api.js';
import { InvalidInput } from '../core/domain/errors.js';
import { EVENT_TYPES, type InteractionEvent } from '../core/domain/types.js';

export const MAX_EVENTS_PER_REQUEST = 100;

const timestamp = z.union([
  z.number().int().min(0).max(8.64e15),
  z.iso.datetime({ offset: true }).transform((s) => Date.parse(s)),
]);

const EventSchema = z.object({
  eventId: idString,
  userId: idString,
  productId: idString,
  type: z.enum(EVENT_TYPES as [string, ...string[]], { error: `must be one of ${EVENT_TYPES.join(', ')}` }),
  receiverId: idString.optional(),
  quantity: z.number().int().min(1).max(10_000).default(1),
  timestamp: timestamp.optional(),
});

const BodySchema = z.object({
  events: z
    .array(EventSchema)
    .min(1, 'at least 1 event is required')
    .max(MAX_EVENTS_PER_REQUEST, `at most ${MAX_EVENTS_PER_REQUEST} events per request`),
});

export const handler = apiHandler(
  {
    'POST /events': async (event: ApiEvent) => {
      const body = parseInput(BodySchema, event.body, 'body');
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
      return json(200, { accepted, duplicates });
    },
  },
  getDeps().logger,
);
