/**
 * The categories a recommendation filter can match in a model snapshot (its catalogue with the
 * live delta merged): a filter on any other value would silently answer an empty list, so the
 * request is refused instead, naming the categories that exist.
 */
import { InvalidInput } from '../domain/errors.js';
import type { ModelSnapshot } from '../snapshot/model-snapshot.js';

const cache = new WeakMap<object, ReadonlySet<string>>();

/** The categories of the snapshot's active products (computed once per snapshot). */
export function knownCategories(snapshot: Pick<ModelSnapshot, 'items'>): ReadonlySet<string> {
  let known = cache.get(snapshot);
  if (!known) {
    const categories = new Set<string>();
    for (const it of snapshot.items) if (it.status === 'active' && it.category) categories.add(it.category);
    cache.set(snapshot, (known = categories));
  }
  return known;
}

/** Details list at most this many known values (a catalogue may have thousands of categories). */
const MAX_LISTED = 200;

/**
 * Throws InvalidInput (400) for a category no active product has, listing the known ones. (A
 * country is checked at the edge as an ISO 3166 region: unrestricted products sell everywhere.)
 */
export function assertKnownFilters(snapshot: Pick<ModelSnapshot, 'items'>, filters: { categories?: readonly string[] }): void {
  // Most requests filter no category: they never pay for the catalogue's category set.
  if (filters.categories === undefined) return;
  const known = knownCategories(snapshot);
  const listed = (set: ReadonlySet<string>) => [...set].sort().slice(0, MAX_LISTED);
  const unknownCategories = filters.categories.filter((c) => !known.has(c));
  if (unknownCategories.length > 0) {
    throw new InvalidInput(`Invalid query: category: unknown ${unknownCategories.map((c) => JSON.stringify(c)).join(', ')}`, {
      details: [{ path: 'category', message: `unknown category: ${unknownCategories.join(', ')}`, known: listed(known) }],
    });
  }
}
