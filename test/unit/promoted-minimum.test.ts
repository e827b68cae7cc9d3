/** selectWithPromotedMinimum takes eligibility as a mask, a predicate or a filter: each gives the same choice. */
import { describe, expect, it } from 'vitest';
import { selectWithPromotedMinimum } from '../../functions/core/ranking/recommend.js';

describe('selectWithPromotedMinimum', () => {
  it('reads an eligibility mask as the predicate it stands for (0 = not eligible)', () => {
    const scores = Float32Array.from([9, 8, 7, 6, 5, 4]);
    const eligible = Uint8Array.from([0, 1, 1, 0, 1, 1]);
    const promoted = Uint8Array.from([1, 0, 0, 1, 0, 1]);
    const byMask = selectWithPromotedMinimum(scores, 2, 1, eligible, promoted);
    expect(byMask).toEqual({ indices: [1, 5], promotedShortfall: 0 });
    expect(selectWithPromotedMinimum(scores, 2, 1, (i) => eligible[i] === 1, promoted)).toEqual(byMask);
  });
});
