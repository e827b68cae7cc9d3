/** The check a `.vec` file passes before it may become the active text model (functions/core/content/vec-check.ts). */
import { describe, expect, it } from 'vitest';
import { checkVecFile } from '../../functions/core/content/vec-check.js';

const limits = { expectedDim: 3, minWords: 4, maxBytes: 10_000 };
const enc = (s: string) => new TextEncoder().encode(s);
const rows = (n: number, dim = 3) => Array.from({ length: n }, (_, i) => `palabra${i} ${Array.from({ length: dim }, (_, j) => ((i + 1) * 0.1 - j * 0.05).toFixed(3)).join(' ')}`);
const file = (header: string, lines: string[]) => enc([header, ...lines].join('\n') + '\n');

describe('checkVecFile', () => {
  it('accepts a well-formed file (CRLF too, exponents and signs too)', () => {
    expect(checkVecFile(file('5 3', rows(5)), limits)).toEqual({ ok: true, words: 5, dim: 3 });
    expect(checkVecFile(enc(['4 3', ...rows(3), 'último -1e-3 +2.5E2 .5'].join('\r\n')), limits)).toEqual({ ok: true, words: 4, dim: 3 });
  });

  const bad: Array<[string, Uint8Array, RegExp]> = [
    ['no header', enc(rows(5).join('\n')), /line 1: expected the header 'N D'/],
    ['a header that is not two integers', file('5 3 1', rows(5)), /header 'N D'/],
    ['a zero dimension', file('5 0', rows(5)), /header 'N D'/],
    ['fewer rows than the header says', file('6 3', rows(5)), /declares 6 words but the file has 5/],
    ['more rows than the header says', file('5 3', rows(6)), /declares 5 words but the file has 6/],
    ['another dimension than expected', file('5 4', rows(5, 4)), /dimension 4 is not the expected 3/],
    ['a row of the wrong length', file('5 3', [...rows(4), 'corto 0.1 0.2']), /line 6: expected 3 values for 'corto', got 2/],
    ['NaN', file('5 3', [...rows(4), 'malo 0.1 NaN 0.2']), /line 6: value 'NaN'/],
    ['infinity', file('5 3', [...rows(4), 'malo 0.1 Infinity 0.2']), /line 6: value 'Infinity'/],
    ['an overflowing literal', file('5 3', [...rows(4), 'malo 0.1 1e999 0.2']), /line 6: value '1e999'/],
    ['a hex literal', file('5 3', [...rows(4), 'malo 0.1 0x1f 0.2']), /value '0x1f'/],
    ['an empty value (two spaces)', file('5 3', [...rows(4), 'malo 0.1  0.2 0.3']), /expected 3 values for 'malo', got 4|value ''/],
    ['a blank line inside', file('5 3', [...rows(2), '', ...rows(3)]), /no word before the values|declares 5 words but the file has 6/],
    ['too small a vocabulary', file('3 3', rows(3)), /fewer than the minimum vocabulary of 4/],
    ['a file over the size limit', file('5 3', rows(5)), /over the 20-byte limit/],
    ['an empty file', new Uint8Array(0), /empty/],
    ['bytes that are not UTF-8', Uint8Array.from([0x35, 0x20, 0x33, 0x0a, 0xff, 0xfe, 0x20, 0x31]), /not UTF-8/],
  ];
  for (const [what, bytes, reason] of bad) {
    it(`rejects ${what}`, () => {
      const check = checkVecFile(bytes, what.includes('size limit') ? { ...limits, maxBytes: 20 } : limits);
      expect(check.ok).toBe(false);
      expect(!check.ok && check.reason).toMatch(reason);
    });
  }
});
