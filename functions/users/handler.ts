/**
 * `PUT /users/{userId}` (country, blacklist), `GET /users/{userId}` (+ interaction_count) and
 * `GET /users/{userId}/history` (events credited to the user, newest first, with product names).
 */
import { getDeps } from '../adapters/bootstrap.js';
import { apiHandler, json, parseRequest, type ApiEvent } from '../http/api.js';
import { HistoryRequest, UserPutRequest, UserRequest } from '../http/schemas.js';
import { saveUser, userHistory, userSummary } from './user-use-cases.js';

export const handler = apiHandler(
  {
    'PUT /users/{userId}': async (event: ApiEvent) => {
      const { path, body } = parseRequest(UserPutRequest, event);
      return json(200, await saveUser(getDeps(), path.userId, body));
    },
    'GET /users/{userId}': async (event: ApiEvent) => {
      const { path } = parseRequest(UserRequest, event);
      return json(200, await userSummary(getDeps(), path.userId));
    },
    'GET /users/{userId}/history': async (event: ApiEvent) => {
      const { path, query } = parseRequest(HistoryRequest, event);
      return json(200, await userHistory(getDeps(), path.userId, query.limit));
    },
  },
  () => getDeps().logger,
);
