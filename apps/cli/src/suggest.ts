import { distance } from 'fastest-levenshtein';

/**
 * The known word closest to a typo, when it is close enough to be what was meant: at most a third
 * of the word's length in edits (at least 1, at most 3), so `--metirc` finds `--metric` and
 * `--zzz` finds nothing.
 */
export function closest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const d = distance(word, candidate);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  const allowed = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  return bestDistance <= allowed ? best : undefined;
}
