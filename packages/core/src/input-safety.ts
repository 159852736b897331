import { DomainError, type FieldErrors, fieldPath, invalidInputMessage } from './errors.js';

/*
 * Checks of a whole decoded request input that no per-field schema can make, applied to every
 * procedure before its own schema runs:
 * - text PostgreSQL cannot store: NUL characters (text and jsonb refuse them) and lone UTF-16
 *   surrogate halves (not Unicode; jsonb refuses their escapes, text silently mangles them);
 * - keys `__proto__`, `constructor` and `prototype`: zod drops `__proto__` silently and the wire
 *   format (superjson) refuses to send any of the three back, so a value stored under one could
 *   never be read again;
 * - inputs nested deeper than a limit, referring to themselves, or larger than a limit once
 *   shared references are counted (superjson can express both), which would otherwise exhaust the
 *   stack or the CPU in validation.
 * Hand-written rather than a zod schema because it applies to every input whatever its shape.
 */

export const MAX_INPUT_DEPTH = 64;
/** Values in an input, shared references counted each time they appear (a 16 MiB JSON body has fewer). */
export const MAX_INPUT_NODES = 4_000_000;
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

const MAX_PROBLEMS = 20;
// A high surrogate not followed by a low one, or a low one not preceded by a high one. A regex
// because String.prototype.isWellFormed is not in the ES2023 library this project compiles against.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a string cannot be stored as text, or null when it can. */
export function unstorableTextProblem(text: string): string | null {
  if (text.includes('\u0000')) return 'must not contain NUL (U+0000) characters';
  if (LONE_SURROGATE.test(text)) return 'must be valid Unicode (it contains a lone surrogate half)';
  return null;
}

/** A key as it can be shown in a field path: control characters and lone surrogates escaped. */
function printable(key: string): string {
  return JSON.stringify(key)
    .slice(1, -1)
    .replace(/[\uD800-\uDFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

function isContainer(node: unknown): node is Record<string, unknown> | unknown[] {
  if (typeof node !== 'object' || node === null) return false;
  if (Array.isArray(node)) return true;
  const proto = Object.getPrototypeOf(node);
  return proto === Object.prototype || proto === null;
}

class TooLarge extends Error {}

/** Field path -> reasons for everything wrong with an input in the senses above, or null. */
export function findInputProblems(input: unknown): FieldErrors | null {
  // No prototype: the paths reported may well be named `constructor` or `__proto__`.
  const fields: FieldErrors = Object.create(null);
  let count = 0;
  const report = (path: readonly string[], reason: string) => {
    if (count >= MAX_PROBLEMS) return;
    const name = fieldPath(path);
    fields[name] ??= [];
    fields[name].push(reason);
    count++;
  };
  const sizes = new Map<object, number>();
  const open = new Set<object>();
  let total = 0;

  // Depth is bounded by MAX_INPUT_DEPTH, so recursion cannot overflow the stack.
  const walk = (node: unknown, path: string[]): number => {
    if (++total > MAX_INPUT_NODES) throw new TooLarge();
    if (typeof node === 'string') {
      const problem = unstorableTextProblem(node);
      if (problem) report(path, problem);
      return 1;
    }
    if (!isContainer(node)) return 1;
    if (open.has(node)) {
      report(path, 'must not refer to itself');
      return 1;
    }
    const known = sizes.get(node);
    if (known !== undefined) {
      total += known - 1;
      if (total > MAX_INPUT_NODES) throw new TooLarge();
      return known;
    }
    if (path.length >= MAX_INPUT_DEPTH) {
      report(path, `must not nest deeper than ${MAX_INPUT_DEPTH} levels`);
      return 1;
    }
    open.add(node);
    let size = 1;
    const keys = Array.isArray(node) ? node.keys() : Object.keys(node);
    for (const key of keys) {
      const name = typeof key === 'number' ? String(key) : printable(key);
      if (typeof key === 'string') {
        if (RESERVED_KEYS.has(key))
          report([...path, name], `'${key}' is a reserved name, not accepted as a key`);
        const problem = unstorableTextProblem(key);
        if (problem) report([...path, name], `key ${problem}`);
      }
      path.push(name);
      size += walk((node as Record<string, unknown>)[key], path);
      path.pop();
    }
    open.delete(node);
    sizes.set(node, size);
    return size;
  };

  try {
    walk(input, []);
  } catch (error) {
    if (!(error instanceof TooLarge)) throw error;
    report([], `must have at most ${MAX_INPUT_NODES} values`);
  }
  return count > 0 ? fields : null;
}

/** Throws BAD_REQUEST naming every field of `input` that findInputProblems objects to. */
export function assertSafeInput(input: unknown): void {
  const fields = findInputProblems(input);
  if (fields) throw DomainError.badRequest(invalidInputMessage(fields), fields);
}
