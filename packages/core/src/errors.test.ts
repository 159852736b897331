import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { DomainError, parseOrThrow } from './errors.js';

describe('parseOrThrow', () => {
  const schema = z.object({
    name: z.string().min(1),
    window: z.object({ hours: z.number().int().max(8760) }),
  });

  it('returns parsed data', () => {
    expect(parseOrThrow(schema, { name: 'x', window: { hours: 24 } })).toEqual({
      name: 'x',
      window: { hours: 24 },
    });
  });

  it('throws BAD_REQUEST naming each bad field by its path', () => {
    let error: unknown;
    try {
      parseOrThrow(schema, { name: '', window: { hours: 9000 } });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DomainError);
    const domain = error as DomainError;
    expect(domain.code).toBe('BAD_REQUEST');
    expect(Object.keys(domain.fields ?? {}).sort()).toEqual(['name', 'window.hours']);
    expect(domain.message).toMatch(/^Invalid input: name: .+; window\.hours: .+/);
  });
});
