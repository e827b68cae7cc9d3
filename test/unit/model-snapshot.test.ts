/**
 * A model version's bytes: what is written, and every way a corrupt version is refused whole at
 * load (missing file, checksum, float32 shape, non-finite values, id-list shapes, unreadable JSON,
 * feature store, neighbour table, scorer weights) with a message naming the file.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ALS_PARAMS } from '../../functions/core/factorization/als.js';
import { serializeNeighbours } from '../../functions/core/factorization/ease.js';
import { buildItemFeatureStore, serializeFeatureStore } from '../../functions/core/ranking/features.js';
import { ArtifactMissing, CorruptArtifact } from '../../functions/core/domain/errors.js';
import type { Product } from '../../functions/core/domain/types.js';
import type { ContentModel } from '../../functions/core/content/content-to-cf.js';
import {
  buildItemColumns,
  deserializeSnapshot,
  parseManifest,
  readManifest,
  serializeSnapshot,
  SNAPSHOT_FILES,
  snapshotItem,
  type SnapshotItem,
  type SnapshotParts,
} from '../../functions/core/snapshot/model-snapshot.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 20);
const F = 2;
const enc = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));
const dec = (b: Uint8Array) => JSON.parse(new TextDecoder().decode(b));

const items: SnapshotItem[] = [
  { id: 'a', price: 10, category: 'hat', promoted: true, status: 'active', countries: [], createdAt: NOW - 3 * DAY, interactionCount: 4, lastSoldAt: NOW - DAY },
  { id: 'b', price: 20, category: 'mug', promoted: false, status: 'draft', countries: ['CL'], createdAt: NOW - DAY, interactionCount: 0 },
  { id: 'c', price: 30, category: 'hat', promoted: false, status: 'active', countries: ['ES', 'FR'], createdAt: NOW - 2 * DAY, interactionCount: 9 },
];

function parts(extra: Partial<SnapshotParts> = {}): SnapshotParts {
  return {
    manifest: { version: 'v1', createdAt: new Date(NOW).toISOString(), als: { ...DEFAULT_ALS_PARAMS, factors: F }, counts: { users: 2, items: 3, interactions: 7 }, metrics: { alsNdcg10: 0.2 } },
    userIds: ['u1', 'u2'],
    items,
    userFactors: Float32Array.from([1, 0, 0, 1]),
    itemFactors: Float32Array.from([1, 2, 3, 4, 5, 6]),
    popularity: Float32Array.from([1, 0.25, 0.5]),
    popularByCountry: { ES: [2, 0] },
    embeddings: [{ id: 'a', image_embedding: [1, 0] }],
    ...extra,
  };
}

/** Replaces files and re-signs the manifest, so only the check under test can refuse them. */
function resigned(files: Record<string, Uint8Array>, replace: Record<string, Uint8Array | undefined>, editManifest: (m: any) => any = (m) => m): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = { ...files };
  for (const [name, b] of Object.entries(replace)) {
    if (b === undefined) delete out[name];
    else out[name] = b;
  }
  const manifest = dec(out['manifest.json']);
  manifest.files = Object.fromEntries(
    Object.entries(out)
      .filter(([n]) => n !== 'manifest.json')
      .map(([n, b]) => [n, { bytes: b.byteLength, sha256: createHash('sha256').update(b).digest('hex') }]),
  );
  out['manifest.json'] = enc(editManifest(manifest));
  return out;
}

const f32 = (...v: number[]) => new Uint8Array(Float32Array.from(v).buffer);
const refused = (files: Record<string, Uint8Array>, message: string | RegExp) => {
  expect(() => deserializeSnapshot(files)).toThrow(CorruptArtifact);
  expect(() => deserializeSnapshot(files)).toThrow(message);
};

describe('serializeSnapshot / deserializeSnapshot', () => {
  it('round-trips a version, with the sha256 and size of every other file in the manifest', () => {
    const files = serializeSnapshot(parts());
    expect(Object.keys(files).sort()).toEqual([...SNAPSHOT_FILES].sort());
    const manifest = parseManifest(files['manifest.json']);
    expect(Object.keys(manifest.files).sort()).toEqual(SNAPSHOT_FILES.filter((n) => n !== 'manifest.json').sort());
    for (const [name, meta] of Object.entries(manifest.files)) {
      expect(meta).toEqual({ bytes: files[name].byteLength, sha256: createHash('sha256').update(files[name]).digest('hex') });
    }
    expect(manifest).toMatchObject({ version: 'v1', metrics: { alsNdcg10: 0.2 } });

    const s = deserializeSnapshot(files);
    expect(s.factors).toBe(F);
    expect(s.userIds).toEqual(['u1', 'u2']);
    expect([...s.userIndex]).toEqual([['u1', 0], ['u2', 1]]);
    expect([...s.itemIndex]).toEqual([['a', 0], ['b', 1], ['c', 2]]);
    expect(Array.from(s.itemFactors)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(s.userFactors)).toEqual([1, 0, 0, 1]);
    expect(Array.from(s.popularity)).toEqual([1, 0.25, 0.5]);
    expect(s.popularByCountry).toEqual({ ES: [2, 0] });
    expect(s.items).toEqual(items);
    // YᵀY of the item factors, for fold-in: [[1+9+25, 2+12+30], [.., 4+16+36]].
    expect(Array.from(s.YtY)).toEqual([35, 44, 44, 56]);
    expect(s.embeddings.ids).toEqual(['a']);
    expect(s.featureStore).toBeUndefined();
    expect(s.neighbours).toBeUndefined();
    expect(s.scorer).toBeUndefined();
    expect(s.scorerOnnx).toBeUndefined();
  });

  it('reads a version back from a store by its manifest', async () => {
    const files = serializeSnapshot(parts());
    const store = { getFile: async (version: string, name: string) => (version === 'v1' ? files[name] : new Uint8Array()) };
    expect((await readManifest(store, 'v1')).version).toBe('v1');
  });

  it('carries the optional files (feature store, neighbours, scorer, extra files) and checks them too', () => {
    const store = buildItemFeatureStore(3, [{ user: 0, item: 0, weight: 1, timestamp: NOW - DAY }], (i) => ({ price: items[i].price, category: items[i].category }));
    const nb = { nItems: 3, indptr: Int32Array.from([0, 1, 1, 2]), indices: Int32Array.from([2, 0]), weights: Float32Array.from([0.5, 0.25]) };
    const scorer = { featureNames: ['x'], layoutVersion: 1, hidden: 0, mean: [0], std: [1], W1: [], b1: [], w2: [1], b2: 0 };
    const files = serializeSnapshot(parts({ featureStore: store, neighbours: nb, scorer, extraFiles: { 'scorer.onnx': Uint8Array.from([7, 7]) } }));
    expect(Object.keys(parseManifest(files['manifest.json']).files)).toEqual(expect.arrayContaining(['feature_store.bin', 'neighbours.bin', 'scorer.json', 'scorer.onnx']));
    const s = deserializeSnapshot(files);
    expect(s.featureStore?.nItems).toBe(3);
    expect(s.neighbours && Array.from(s.neighbours.indices)).toEqual([2, 0]);
    expect(s.scorer).toEqual(scorer);
    expect(Array.from(s.scorerOnnx!)).toEqual([7, 7]);
    refused({ ...files, 'scorer.onnx': Uint8Array.from([7, 8]) }, 'scorer.onnx: checksum mismatch');
  });
});

describe('a corrupt version is refused whole', () => {
  const good = serializeSnapshot(parts());

  it('when a required file is missing', () => {
    for (const name of SNAPSHOT_FILES) {
      const files = { ...good };
      delete files[name];
      // Missing is not corrupt (its own error), and refused all the same (functions/adapters/model-cache.ts).
      expect(() => deserializeSnapshot(files)).toThrow(ArtifactMissing);
      expect(() => deserializeSnapshot(files)).toThrow(`model file ${name} is missing`);
    }
  });

  it('when one byte of a file differs at the same length, or a listed file is absent', () => {
    for (const name of ['item_factors.f32', 'user_factors.f32', 'popularity.f32', 'users.json', 'items.json', 'embeddings.json']) {
      const b = Uint8Array.from(good[name]);
      b[b.length - 1] ^= 0x01;
      refused({ ...good, [name]: b }, `${name}: checksum mismatch`);
    }
    const listed = resigned(good, { 'scorer.onnx': Uint8Array.from([1]) });
    const { 'scorer.onnx': _absent, ...withoutIt } = listed;
    refused(withoutIt, 'scorer.onnx: checksum mismatch');
  });

  it('when the manifest is not JSON', () => {
    refused({ ...good, 'manifest.json': enc('{"version":') }, 'manifest.json: invalid JSON');
  });

  it('when a float32 file is not a whole number of floats, or holds a non-finite value', () => {
    refused(resigned(good, { 'user_factors.f32': Uint8Array.from([0, 0, 0, 0, 0]) }), 'user_factors.f32: 5 bytes is not a float32 array');
    refused(resigned(good, { 'item_factors.f32': f32(1, 2, 3, NaN, 5, 6) }), 'item_factors.f32: non-finite value at 3');
    refused(resigned(good, { 'popularity.f32': f32(1, Infinity, 0) }), 'popularity.f32: non-finite value at 1');
    refused(resigned(good, { 'user_factors.f32': f32(-Infinity, 0, 0, 1) }), 'user_factors.f32: non-finite value at 0');
  });

  it('when the factor shapes do not match the id lists or the factor count', () => {
    const shapes = 'factor shapes do not match the id lists';
    refused(resigned(good, { 'users.json': enc(['u1', 'u2', 'u3']) }), shapes);
    refused(resigned(good, { 'items.json': enc({ items: items.slice(0, 2), popularByCountry: {} }) }), shapes);
    refused(resigned(good, { 'popularity.f32': f32(1, 0.5) }), shapes);
    refused(resigned(good, { 'item_factors.f32': f32(1, 2, 3, 4, 5, 6, 7, 8) }), shapes);
    refused(resigned(good, {}, (m) => ({ ...m, als: { ...m.als, factors: 0 } })), shapes);
    refused(resigned(good, {}, (m) => ({ ...m, als: undefined })), shapes);
    refused(resigned(good, {}, (m) => ({ ...m, als: { ...m.als, factors: 3 } })), shapes);
  });

  it('when a JSON file is unreadable', () => {
    for (const name of ['users.json', 'items.json', 'embeddings.json']) refused(resigned(good, { [name]: enc('[{') }), `${name}: invalid JSON`);
    refused(resigned(good, { 'scorer.json': enc('{') }), 'scorer.json: invalid JSON');
    refused(resigned(good, { 'content_model.json': enc('{') }), 'content_model.json: invalid JSON');
  });

  it('when the feature store or the neighbour table is unreadable or sized for another catalog', () => {
    const store = (n: number) => serializeFeatureStore(buildItemFeatureStore(n, [], () => ({})));
    refused(resigned(good, { 'feature_store.bin': Uint8Array.from([1, 2, 3]) }), 'feature_store.bin: unreadable');
    refused(resigned(good, { 'feature_store.bin': store(4) }), 'feature_store.bin: item count does not match items.json');
    expect(deserializeSnapshot(resigned(good, { 'feature_store.bin': store(3) })).featureStore?.nItems).toBe(3);
    const table = (n: number) => serializeNeighbours({ nItems: n, indptr: new Int32Array(n + 1), indices: new Int32Array(0), weights: new Float32Array(0) });
    refused(resigned(good, { 'neighbours.bin': Uint8Array.from([1, 2, 3]) }), 'neighbours.bin: unreadable');
    refused(resigned(good, { 'neighbours.bin': table(2) }), 'neighbours.bin: item count does not match items.json');
    expect(deserializeSnapshot(resigned(good, { 'neighbours.bin': table(3) })).neighbours?.nItems).toBe(3);
    const ease = (m: any) => ({ ...m, model: { family: 'ease', halfLifeDays: null } });
    refused(resigned(good, {}, ease), 'an EASE version without neighbours.bin');
    expect(deserializeSnapshot(resigned(good, { 'neighbours.bin': table(3) }, ease)).neighbours?.nItems).toBe(3);
  });

  it('when the scorer has a missing or non-finite weight', () => {
    const scorer = { featureNames: ['x'], layoutVersion: 1, hidden: 1, mean: [0], std: [1], W1: [1], b1: [0], w2: [1], b2: 0 };
    expect(deserializeSnapshot(resigned(good, { 'scorer.json': enc(scorer) })).scorer).toEqual(scorer);
    for (const field of ['mean', 'std', 'W1', 'b1', 'w2'] as const) {
      refused(resigned(good, { 'scorer.json': enc({ ...scorer, [field]: [null] }) }), 'scorer.json: non-finite or missing weights');
      refused(resigned(good, { 'scorer.json': enc({ ...scorer, [field]: undefined }) }), 'scorer.json: non-finite or missing weights');
    }
    refused(resigned(good, { 'scorer.json': enc({ ...scorer, b2: null }) }), 'scorer.json: non-finite or missing weights');
  });
});

describe('buildItemColumns', () => {
  it('lays the per-item facts out as typed columns, newest first and most popular first', () => {
    const c = buildItemColumns(items, Float32Array.from([1, 0.25, 0.5]));
    expect(c.ids).toEqual(['a', 'b', 'c']);
    expect(Array.from(c.price)).toEqual([10, 20, 30]);
    expect(Array.from(c.active)).toEqual([1, 0, 1]);
    expect(Array.from(c.promoted)).toEqual([1, 0, 0]);
    expect(Array.from(c.restricted)).toEqual([0, 1, 1]);
    expect(Array.from(c.createdAt)).toEqual(items.map((it) => it.createdAt));
    expect(Array.from(c.interactionCount)).toEqual([4, 0, 9]);
    expect(Array.from(c.newestFirst)).toEqual([1, 2, 0]);
    expect(c.popularTop).toEqual([0, 2, 1]);
    expect(c.countryAllowed.size).toBe(0);
  });

  it('breaks createdAt ties by the lower index, and keeps at most 200 popular items', () => {
    const many: SnapshotItem[] = Array.from({ length: 250 }, (_, i) => ({ ...items[0], id: `p${i}`, createdAt: i < 2 ? 0 : i }));
    const c = buildItemColumns(many, Float32Array.from({ length: 250 }, (_, i) => i));
    expect(Array.from(c.newestFirst.slice(-2))).toEqual([0, 1]);
    expect(c.popularTop).toHaveLength(200);
    expect(c.popularTop[0]).toBe(249);
  });
});

describe('the factor count and the refusals’ causes', () => {
  const good = serializeSnapshot(parts());
  /** The error deserializeSnapshot throws (it must throw). */
  const thrown = (files: Record<string, Uint8Array>): Error => {
    try {
      deserializeSnapshot(files);
    } catch (err) {
      return err as Error;
    }
    throw new Error('deserializeSnapshot accepted the files');
  };

  it('loads a one-factor version (the smallest factor count there is)', () => {
    const one = serializeSnapshot(parts({ manifest: { ...parts().manifest, als: { ...DEFAULT_ALS_PARAMS, factors: 1 } }, userFactors: Float32Array.from([1, -1]), itemFactors: Float32Array.from([2, 3, 4]) }));
    const s = deserializeSnapshot(one);
    expect(s.factors).toBe(1);
    expect(Array.from(s.itemFactors)).toEqual([2, 3, 4]);
    expect(Array.from(s.YtY)).toEqual([4 + 9 + 16]);
  });

  it('refuses a zero factor count even when every shape is empty and so agrees with it', () => {
    const empty = serializeSnapshot(
      parts({ manifest: { ...parts().manifest, als: { ...DEFAULT_ALS_PARAMS, factors: 0 } }, userIds: [], items: [], userFactors: new Float32Array(0), itemFactors: new Float32Array(0), popularity: new Float32Array(0), popularByCountry: {}, embeddings: [] }),
    );
    refused(empty, 'factor shapes do not match the id lists');
  });

  it('keeps the parser’s error as the cause of an unreadable manifest, feature store or neighbour table', () => {
    const manifest = thrown({ ...good, 'manifest.json': enc('{"version":') });
    expect(manifest).toBeInstanceOf(CorruptArtifact);
    expect(manifest.cause).toBeInstanceOf(SyntaxError);
    const store = thrown(resigned(good, { 'feature_store.bin': Uint8Array.from([1, 2, 3]) }));
    expect(store.message).toBe('feature_store.bin: unreadable');
    expect(store.cause).toBeInstanceOf(Error);
    expect((store.cause as Error).message).not.toBe('');
    const table = thrown(resigned(good, { 'neighbours.bin': Uint8Array.from([1, 2, 3]) }));
    expect(table.message).toBe('neighbours.bin: unreadable');
    expect((table.cause as Error).message).toBe('neighbour table too short');
  });
});

describe('the content model and the manifest’s byte counts', () => {
  // The smallest consistent content model: a 1-d image, no text, one category, one price band
  // (input 1 + 1 + 0 + 1 + 1 + 1 = 5), one hidden unit, the version's F = 2 factors.
  const content: ContentModel = {
    kind: 'content-to-factor-mlp',
    imageDim: 1,
    textDim: 0,
    categories: ['hat'],
    priceEdges: [],
    inputDim: 5,
    hidden: 1,
    factors: F,
    W1: [0.5, 0, 0, 1, 0.25],
    b1: [0],
    W2: [1, -1],
    b2: [0, 0.5],
    blendInteractions: 5,
    training: { items: 3 },
  };
  const withContent = serializeSnapshot(parts({ contentModel: content, extraFiles: { 'content_model.onnx': Uint8Array.from([8, 9]) } }));

  it('loads the content model and its ONNX export with the version', () => {
    const s = deserializeSnapshot(withContent);
    expect(s.contentModel).toEqual(content);
    expect(Array.from(s.contentModelOnnx!)).toEqual([8, 9]);
    const plain = deserializeSnapshot(serializeSnapshot(parts()));
    expect(plain.contentModel).toBeUndefined();
    expect(plain.contentModelOnnx).toBeUndefined();
  });

  it('refuses a content model whose shapes do not match, whose weights are not finite, or sized for another factor count', () => {
    const message = 'content_model.json: shapes do not match or weights are not finite';
    refused(resigned(withContent, { 'content_model.json': enc({ ...content, W1: content.W1.slice(1) }) }), message);
    refused(resigned(withContent, { 'content_model.json': enc({ ...content, b2: [0, null] }) }), message);
    // Consistent in itself (3 factors), but the version has 2.
    refused(resigned(withContent, { 'content_model.json': enc({ ...content, factors: 3, W2: [1, -1, 0], b2: [0, 0.5, 1] }) }), message);
  });

  it('refuses a file whose byte count disagrees with the manifest even when its sha256 agrees', () => {
    for (const name of ['users.json', 'item_factors.f32']) {
      const lying = resigned(serializeSnapshot(parts()), {}, (m) => ({ ...m, files: { ...m.files, [name]: { ...m.files[name], bytes: m.files[name].bytes + 4 } } }));
      refused(lying, `${name}: checksum mismatch`);
    }
  });
});

describe('snapshotItem', () => {
  const product: Product = {
    id: 'p1',
    name: 'Hat',
    description: 'A hat',
    price: 12.5,
    currency: 'CLP',
    category: 'hat',
    promoted: true,
    status: 'active',
    countries: ['CL'],
    images: [],
    createdAt: '2026-11-18T10:00:00.000Z',
    updatedAt: '2026-11-19T10:00:00.000Z',
    attributes: {},
  };

  it('keeps the creation time in milliseconds (0 when unreadable) and the last sale only when there was one', () => {
    expect(snapshotItem(product, 3)).toStrictEqual({
      id: 'p1',
      price: 12.5,
      category: 'hat',
      promoted: true,
      status: 'active',
      countries: ['CL'],
      createdAt: Date.UTC(2026, 10, 18, 10),
      interactionCount: 3,
    });
    expect(snapshotItem(product, 3, NOW)).toMatchObject({ createdAt: Date.UTC(2026, 10, 18, 10), lastSoldAt: NOW });
    expect(snapshotItem(product, 0, 0)).not.toHaveProperty('lastSoldAt');
    expect(snapshotItem({ ...product, createdAt: 'not a date' }, 0).createdAt).toBe(0);
  });
});
