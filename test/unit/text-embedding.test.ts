import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  cosine,
  DEFAULT_HASHED_DIM,
  fnv1a32,
  HashedNgramEmbedder,
  hashedNgramVector,
  normalizeText,
  parseVec,
  tokenize,
  WordVectorEmbedder,
  wordNgrams,
} from '../../functions/core/content/text-embedding.js';
import { createTextEmbedder, loadVecFile } from '../../functions/adapters/text-vectors-file.js';
import { buildDeps } from '../../functions/adapters/bootstrap.js';
import { loadConfig } from '../../functions/config.js';

const VEC = 'test/fixtures/text/tiny-es.vec';
const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));

describe('normalizeText', () => {
  it('lowercases, strips accents and separators', () => {
    expect(normalizeText('¡Camión ROJO, 2-ejes!')).toBe('camion rojo 2 ejes');
    expect(normalizeText('Muñeca Pingüino Ærø')).toBe('muneca pinguino ærø');
    expect(tokenize('  ')).toEqual([]);
  });
});

describe('wordNgrams', () => {
  it('takes boundary-marked 3–5-grams plus the whole word (fastText subwords)', () => {
    // "<ab>": 3-grams <ab, ab>; 4-gram is the whole word, added once at the end.
    expect(wordNgrams('ab')).toEqual(['<ab', 'ab>', '<ab>']);
    const g = wordNgrams('casa');
    expect(g).toContain('<ca');
    expect(g).toContain('sa>');
    expect(g).toContain('<casa');
    expect(g).toContain('<casa>');
    expect(g.filter((x) => x === '<casa>')).toHaveLength(1);
  });
  it('counts code points, not UTF-16 units', () => {
    expect(wordNgrams('😀x')).toEqual(['<😀x', '😀x>', '<😀x>']);
  });
});

describe('fnv1a32', () => {
  it('matches the published FNV-1a test vectors', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });
});

describe('hashed n-gram embedding', () => {
  const e = new HashedNgramEmbedder();
  it('is unit-length, of the configured dimension, and deterministic', () => {
    const v = e.embed('Camiseta de algodón');
    expect(v).toHaveLength(DEFAULT_HASHED_DIM);
    expect(norm(v)).toBeCloseTo(1, 5);
    expect(Array.from(e.embed('Camiseta de algodón'))).toEqual(Array.from(v));
    expect(Array.from(new HashedNgramEmbedder(64).embed('Camiseta de algodón'))).toEqual(Array.from(v));
  });
  it('ignores accents and case', () => {
    expect(Array.from(e.embed('Camión Rojo'))).toEqual(Array.from(e.embed('camion rojo')));
    expect(Array.from(e.embed('MUÑECA'))).toEqual(Array.from(e.embed('muneca')));
  });
  it('gives the zero vector for a name with no letters or digits', () => {
    expect(norm(e.embed('¡¿ — ?!'))).toBe(0);
  });
  it('puts similar names closer than unrelated ones', () => {
    const a = e.embed('Camiseta roja de algodón');
    const b = e.embed('Camisetas rojas algodon');
    const c = e.embed('Taladro percutor inalámbrico');
    expect(cosine(a, b)).toBeGreaterThan(0.5);
    expect(cosine(a, b)).toBeGreaterThan(cosine(a, c) + 0.3);
  });
  it('rejects a bad dimension', () => {
    expect(() => hashedNgramVector('x', 0)).toThrow(RangeError);
  });
  it('version names method and dimension', () => {
    expect(new HashedNgramEmbedder(32).version).toBe('text-hash-ngram3-5-d32-v1');
  });
});

describe('.vec parsing and word-vector embedding', () => {
  const words = parseVec(readFileSync(VEC, 'utf8'));
  it('reads header, keys words accent-insensitively, first spelling wins', () => {
    expect(words.dim).toBe(4);
    expect(words.index.size).toBe(7); // "camion" duplicate of "camión" skipped
    const row = words.index.get('camion')!;
    // camión = (0.9, 0.1, 0, 0) normalised, not the later (0, 0, 0, 1).
    expect(words.vectors[row * 4]).toBeCloseTo(0.9 / Math.hypot(0.9, 0.1), 6);
    expect(words.index.has('azul')).toBe(true);
    expect(words.index.has('muneca')).toBe(true);
  });
  it('averages known word vectors, accent- and case-insensitively', () => {
    const e = new WordVectorEmbedder(words, 'tiny');
    expect(e.dim).toBe(4);
    expect(e.has('CAMION')).toBe(true);
    const v = e.embed('Camion ROJO grande'); // "grande" unknown: ignored
    const u = (x: number[]) => x.map((a) => a / Math.hypot(...x));
    const mean = u(u([0.9, 0.1, 0, 0]).map((a, i) => a + u([0.1, 0.9, 0, 0])[i]));
    mean.forEach((m, i) => expect(v[i]).toBeCloseTo(m, 5));
    expect(cosine(e.embed('camiseta roja'), e.embed('camisa rojo'))).toBeGreaterThan(
      cosine(e.embed('camiseta roja'), e.embed('muñeca')),
    );
  });
  it('falls back to hashed n-grams in the same dimension when no word is known', () => {
    const e = new WordVectorEmbedder(words, 'tiny');
    expect(Array.from(e.embed('xilófono'))).toEqual(Array.from(hashedNgramVector('xilofono', 4)));
  });
  it('accepts a header-less file and rejects malformed lines', () => {
    expect(parseVec('hola 1 0\nadios 0 1\n').dim).toBe(2);
    expect(() => parseVec('2 3\nhola 1 2\n')).toThrow(/expected 3 values/);
    expect(() => parseVec('1 2\nhola 1 x\n')).toThrow(/not a number/);
    expect(() => parseVec('')).toThrow(/empty/);
  });
  it('loads from a file path and from TEXT_VECTORS_PATH', () => {
    const e = loadVecFile(VEC);
    expect(e.version).toMatch(/^text-wordvec-tiny-es-[0-9a-f]{12}-d4-v1$/);
    expect(buildDeps(loadConfig({ TEXT_VECTORS_PATH: VEC })).textEmbedder.dim).toBe(4);
    expect(buildDeps(loadConfig({})).textEmbedder.version).toBe('text-hash-ngram3-5-d64-v1');
    expect(createTextEmbedder().version).toBe('text-hash-ngram3-5-d64-v1');
  });
});
