import { fmt } from './figures.js';

/*
 * The server's garbage-collection pauses over a measurement, from the nodejs_gc_duration_seconds
 * histogram its /metrics exposes (prom-client's default metrics, by kind: minor = scavenges of the
 * young generation, major = mark-compact, incremental, weakcb).
 */

type GcTotals = Map<string, { count: number; seconds: number; overOneMs: number }>;

export async function gcTotals(url: string): Promise<GcTotals> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const totals: GcTotals = new Map();
  const entry = (kind: string) => {
    let found = totals.get(kind);
    if (!found) {
      found = { count: 0, seconds: 0, overOneMs: 0 };
      totals.set(kind, found);
    }
    return found;
  };
  for (const line of text.split('\n')) {
    const match = /^aihub_nodejs_gc_duration_seconds_(sum|count|bucket)\{([^}]*)\} (\S+)$/.exec(line);
    if (!match) continue;
    const [, what, labels = '', value] = match;
    const kind = /kind="([^"]+)"/.exec(labels)?.[1] ?? '?';
    if (what === 'sum') entry(kind).seconds = Number(value);
    else if (what === 'count') entry(kind).count = Number(value);
    // Pauses of at most 1 ms: the rest are the ones that can reach a 2 ms p99.
    else if (/le="0\.001"/.test(labels)) entry(kind).overOneMs = -Number(value);
  }
  for (const t of totals.values()) t.overOneMs += t.count;
  return totals;
}

/** "GC: 120 minor (0.45 ms avg, 3 over 1 ms), 1 major (…)" between two readings, per `calls`. */
export function gcBetween(before: GcTotals, after: GcTotals, calls: number): string {
  const parts: string[] = [];
  for (const [kind, a] of after) {
    const b = before.get(kind) ?? { count: 0, seconds: 0, overOneMs: 0 };
    const count = a.count - b.count;
    if (count === 0) continue;
    const ms = (a.seconds - b.seconds) * 1000;
    parts.push(`${count} ${kind} (${fmt(ms / count)} ms avg, ${a.overOneMs - b.overOneMs} over 1 ms)`);
  }
  return `server GC over ${calls} calls: ${parts.length > 0 ? parts.join(', ') : 'none'}`;
}
