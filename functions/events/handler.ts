/** `POST /events`: parse → only as the caller → {@link acceptEvents} → `{accepted, duplicates}`. */
import { getDeps } from '../adapters/bootstrap.js';
import { apiHandler, json, parseRequest, requestCaller, type ApiEvent } from '../http/api.js';
import { EventsRequest } from '../http/schemas.js';
import { authorizeActingAs } from '../http/auth.js';
import { acceptEvents } from './accept-events.js';

export const handler = apiHandler(
  {
    'POST /events': async (event: ApiEvent) => {
      const { body } = parseRequest(EventsRequest, event);
      // App users post only their own events (a gift may name any receiver).
      authorizeActingAs(requestCaller(event), body.events.map((e) => e.userId));
      const deps = getDeps();
      const { accepted, duplicates } = await acceptEvents({ ...deps, attributionWindowMs: deps.config.ATTRIBUTION_WINDOW_HOURS * 3_600_000 }, body.events);
      return json(200, { accepted, duplicates });
    },
  },
  () => getDeps().logger,
);
