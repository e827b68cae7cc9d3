/** `PUT /users/{userId}` (country, blacklist) and `GET /users/{userId}` (+ interaction_count). */
import { z } from 'zod';
import { getDeps } from '../adapters/bootstrap.js';
import { apiHandler, countryCode, idString, json, parseInput, type ApiEvent } from '../http/api.js';
import { NotFound } from '../core/domain/errors.js';

const UserBody = z.object({
  country: countryCode.optional(),
  blacklist: z.array(idString).max(1000).default([]),
});
const Path = z.object({ userId: idString });

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
  },
  getDeps().logger,
);
