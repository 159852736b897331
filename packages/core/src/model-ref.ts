import { z } from 'zod';
import type { ModelStage } from './registry.js';
import type { ModelVersionRef } from './registry-ports.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const STAGES: readonly string[] = ['staging', 'production', 'archived'];

/**
 * A model version written as text, as the CLI and the README write it: `<version-id>`, `name@3`
 * (or `name@v3`), `name@production` (a stage) or `name@champion` (an alias). Null when malformed.
 */
export function parseModelVersionRef(text: string): ModelVersionRef | null {
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

/** A model version reference as an API input: the text forms above, refused with a clear message otherwise. */
export const ModelVersionRefTextSchema = z
  .string()
  .min(1)
  .max(300)
  .transform((text, ctx): ModelVersionRef => {
    const ref = parseModelVersionRef(text);
    if (ref) return ref;
    ctx.addIssue({
      code: 'custom',
      message: `'${text}' is not a model version: use <version-id>, name@version, name@stage or name@alias`,
    });
    return z.NEVER;
  });
