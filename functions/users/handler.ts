/**
 * `PUT /users/{userId}` (country, blacklist), `GET /users/{userId}` (+ interaction_count) and
 * `GET /users/{userId}/history` (events credited to the user, newest first, with product names).
 */
import { getDeps } from '../adapters/bootstrap.js';
import { apiHandler, json, parseInput, type ApiEvent } from '../http/api.js';
import { HistoryQuery, UserBody, UserPath } from '../http/schemas.js';
import { NotFound } from '../core/domain/errors.js';

const Path = UserPath;

export const handler = apiHandler(
  {
    'PUT /users/{userId}': async (event: ApiEvent) => {
      const { userId } = parseInput(Path, event.pathParameters ?? {}, 'path');
      const body = parseInput(UserBody, event.body ?? {}, 'body');
      const user = { id: userId, country: body.country, blacklist: [...new Set(body.blacklist)] };
      await getDeps().users.put(user);
      return json(200, user);
    },
    'GET /users/{userId}': async (event: ApiEvent) => {
      const { userId } = parseInput(Path, event.pathParameters ?? {}, 'path');
      const { users, interactions } = getDeps();
      const [user, count] = await Promise.all([users.get(userId), interactions.countForUser(userId)]);
      if (!user && count === 0) throw new NotFound(`user ${userId} is unknown`);
      return json(200, { id: userId, country: user?.country ?? null, blacklist: user?.blacklist ?? [], interaction_count: count });
    },
    'GET /users/{userId}/history': async (event: ApiEvent) => {
      const { userId } = parseInput(Path, event.pathParameters ?? {}, 'path');
      const { limit } = parseInput(HistoryQuery, event.queryStringParameters ?? {}, 'query');
      const { interactions, catalog } = getDeps();
      const events = await interactions.listForUser(userId, limit);
      const products = new Map((await catalog.batchGet([...new Set(events.map((e) => e.productId))])).map((p) => [p.id, p]));
      return json(200, {
        user_id: userId,
        events: events.map((e) => {
          const p = products.get(e.productId);
          return { ...e, product: p ? { name: p.name, price: p.price, category: p.category, status: p.status } : null };
        }),
      });
    },
  },
  getDeps().logger,
);
