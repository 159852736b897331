import { UsageError } from '../cli-error.js';

/* Version references on the command line: `<uuid>`, `name@3` (or `name@v3`), `name@production`, `name@champion`. */

export type RefInput =
  | { id: string }
  | { name: string; version: number }
  | { name: string; stage: 'staging' | 'production' | 'archived' }
  | { name: string; alias: string };

const stages = ['staging', 'production', 'archived'] as const;

export function parseRef(text: string | undefined, usage: string): RefInput {
  if (!text)
    throw new UsageError(
      `expected a model version (id, name@version, name@stage or name@alias)\nusage: ${usage}`,
    );
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text)) return { id: text };
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1) {
    throw new UsageError(
      `'${text}' is not a version reference: use name@version, name@stage or name@alias\nusage: ${usage}`,
    );
  }
  const name = text.slice(0, at);
  const selector = text.slice(at + 1);
  const version = /^v?(\d+)$/.exec(selector);
  if (version) return { name, version: Number(version[1]) };
  if ((stages as readonly string[]).includes(selector))
    return { name, stage: selector as (typeof stages)[number] };
  return { name, alias: selector };
}

/**
 * `k=v` pairs or a JSON file (`@file.json` or a path ending in .json) into one object. `numbers`:
 * every value must be a number (metrics); `strings`: values stay text (tags); `mixed`: numbers
 * where they look like one (params, metadata).
 */
export async function parsePairs(
  values: readonly string[] | undefined,
  flag: string,
  kind: 'numbers' | 'strings' | 'mixed',
): Promise<Record<string, number | string>> {
  const out: Record<string, number | string> = {};
  for (const value of values ?? []) {
    if (value.endsWith('.json')) {
      const { readFile } = await import('node:fs/promises');
      let parsed: unknown;
      try {
        parsed = JSON.parse(await readFile(value.replace(/^@/, ''), 'utf8'));
      } catch (error) {
        throw new UsageError(`${flag}: cannot read ${value}: ${(error as Error).message}`);
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new UsageError(`${flag}: ${value} must hold a JSON object`);
      Object.assign(out, parsed);
      continue;
    }
    for (const pair of value.split(',')) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw new UsageError(`${flag}: '${pair}' is not key=value`);
      const raw = pair.slice(eq + 1);
      const number = Number(raw);
      const looksNumeric = raw.trim() !== '' && Number.isFinite(number);
      if (kind === 'numbers' && !looksNumeric) throw new UsageError(`${flag}: '${raw}' is not a number`);
      out[pair.slice(0, eq)] = kind === 'strings' || !looksNumeric ? raw : number;
    }
  }
  return out;
}
