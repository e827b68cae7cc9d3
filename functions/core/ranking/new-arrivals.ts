/**
 * Exploration of new arrivals (as Personalize's explorationWeight / explorationItemAgeCutOff): a
 * configurable share of the returned slots goes to items created within the age cut-off that have
 * few interactions, so a new product reaches receivers before it has the history that would rank it.
 *
 * The best-scored eligible new arrivals (their score already carries the content-to-factor
 * prediction, so the ones nearest the receiver's taste come first) get the last
 * `round(share · num)` places of the list, or keep a better place the ranking gave them. Like the
 * look-alike slots it sets a score floor, so the promoted guarantee and diversity still apply after.
 */
import { topK } from '../numeric/topk.js';

export interface ExplorationOptions {
  /** Share of the returned slots reserved for new arrivals, 0 (off) .. 1. */
  share: number;
}

/** How many of `num` slots exploration takes. */
export function explorationSlots(num: number, share: number): number {
  if (!(share > 0)) return 0;
  return Math.min(num, Math.round(num * Math.min(share, 1)));
}

/**
 * Raises the scores of the best eligible new arrivals so they take the reserved slots (never lowers
 * a score). Returns the explored item indices, best first.
 */
export function reserveExplorationSlots(scores: Float32Array, newItems: readonly number[], eligible: Uint8Array, num: number, share: number): number[] {
  const k = Math.min(explorationSlots(num, share), newItems.length);
  if (k === 0) return [];
  const candidates = newItems.filter((i) => eligible[i] === 1).sort((a, b) => scores[b] - scores[a] || a - b);
  const chosen = candidates.slice(0, k);
  if (chosen.length === 0) return [];
  const isChosen = new Set(chosen);
  // The list without the explored items: its first (num − k) places stay, the explored fill the rest.
  const head = topK(scores, num, (i) => isChosen.has(i) || eligible[i] === 0).indices;
  const firstSlot = num - chosen.length;
  // Every explored item goes between place firstSlot − 1 (kept) and place firstSlot (displaced).
  const hi = firstSlot > 0 && head.length >= firstSlot ? scores[head[firstSlot - 1]] : undefined;
  const lo = head.length > firstSlot ? scores[head[firstSlot]] : undefined;
  const step = (v: number) => Math.max(1e-3, Math.abs(v) * 1e-3);
  chosen.forEach((i, j) => {
    let floor: number;
    if (hi !== undefined && lo !== undefined) floor = hi - ((hi - lo) * (j + 1)) / (chosen.length + 1);
    else if (hi !== undefined) floor = hi - step(hi) * (j + 1);
    else if (lo !== undefined) floor = lo + step(lo) * (chosen.length - j);
    else floor = scores[i];
    scores[i] = Math.max(scores[i], floor);
  });
  return chosen;
}
