/** The user profile's use cases: save the country and blacklist; read them with the interaction count; the user's history. */
import { NotFound } from '../core/domain/errors.js';
import type { CatalogStore, InteractionStore, UserStore } from '../core/domain/ports.js';
import type { UserProfile } from '../core/domain/types.js';

export interface UserDeps {
  users: UserStore;
  interactions: InteractionStore;
  catalog: CatalogStore;
}

/** Saves a profile; a product listed twice in the blacklist is stored once. */
export async function saveUser(
  deps: Pick<UserDeps, 'users'>,
  id: string,
  input: { country?: string; blacklist: readonly string[]; wishlist_public: boolean },
) {
  const user: UserProfile = { id, country: input.country, blacklist: [...new Set(input.blacklist)], wishlistPublic: input.wishlist_public };
  await deps.users.put(user);
  return { id, country: user.country, blacklist: user.blacklist, wishlist_public: input.wishlist_public };
}

/** A user is known once they have a profile or any interaction credited to them. */
export async function userSummary(deps: Pick<UserDeps, 'users' | 'interactions'>, id: string) {
  const [user, count] = await Promise.all([deps.users.get(id), deps.interactions.countForUser(id)]);
  if (!user && count === 0) throw new NotFound(`user ${id} is unknown`);
  return { id, country: user?.country ?? null, blacklist: user?.blacklist ?? [], wishlist_public: user?.wishlistPublic ?? true, interaction_count: count };
}

/** Events credited to the user, newest first, each with the product's name, price, category and status (null once unknown). */
export async function userHistory(deps: Pick<UserDeps, 'interactions' | 'catalog'>, id: string, limit: number) {
  const events = await deps.interactions.listForUser(id, limit);
  const products = new Map((await deps.catalog.batchGetPublic([...new Set(events.map((e) => e.productId))])).map((p) => [p.id, p]));
  return {
    user_id: id,
    events: events.map((e) => {
      const p = products.get(e.productId);
      return { ...e, product: p ? { name: p.name, price: p.price, category: p.category, status: p.status } : null };
    }),
  };
}
