import type { ModelStage, ModelVersionRef } from '@aihub/core';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const STAGES: readonly string[] = ['staging', 'production', 'archived'];

/** A model version named in a URL: its id, or `name@3` / `name@v3` / `name@<stage>` / `name@<alias>`. */
export function parseModelRef(text: string): ModelVersionRef | null {
  if (UUID.test(text)) return { id: text };
  const at = text.lastIndexOf('@');
  if (at <= 0 || at === text.length - 1) return null;
  const name = text.slice(0, at);
  const selector = text.slice(at + 1);
  const version = /^v?(\d+)$/.exec(selector);
  if (version) return { name, version: Number(version[1]) };
  if (STAGES.includes(selector)) return { name, stage: selector as ModelStage };
  return { name, alias: selector };
}
