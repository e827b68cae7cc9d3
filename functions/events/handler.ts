/** `POST /events`: parse → {@link acceptEvents} → `{accepted, duplicates}`. */
import { getDeps } from '../adapters/bootstrap.js';
import { apiHandler, json, parseRequest, type ApiEvent } from '../http/api.js';
import { EventsRequest } from '../http/schemas.js';
import { acceptEvents } from './accept-events.js';

export const handler = apiHandler(
  {
    'POST /events': async (event: ApiEvent) => {
      const { body } = parseRequest(EventsRequest, event);
      const deps = getDeps();
      const { accepted, duplicates } = await acceptEvents({ ...deps, attributionWindowMs: deps.config.ATTRIBUTION_WINDOW_HOURS * 3_600_000 }, body.events);
      return json(200, { accepted, duplicates });
    },
  },
  () => getDeps().logger,
);
