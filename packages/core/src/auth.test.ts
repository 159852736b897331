import { describe, expect, it } from 'vitest';
import {
  ApiKeyTokenSchema,
  assertCanManageProject,
  type Principal,
  ProjectNameSchema,
  type Role,
  roleAtLeast,
} from './auth.js';
import { DomainError } from './errors.js';

function principal(role: Role, project: { name: string; isRoot: boolean }): Principal {
  return {
    keyId: '00000000-0000-4000-8000-000000000001',
    keyName: 'k',
    role,
    project: {
      id: '00000000-0000-4000-8000-000000000002',
      description: null,
      createdAt: new Date(0),
      ...project,
    },
  };
}

function codeOf(fn: () => void): string {
  try {
    fn();
    return 'OK';
  } catch (error) {
    return error instanceof DomainError ? error.code : 'OTHER';
  }
}

describe('roles', () => {
  it('orders reader < writer < admin', () => {
    const table: [Role, Role, boolean][] = [
      ['reader', 'reader', true],
      ['reader', 'writer', false],
      ['reader', 'admin', false],
      ['writer', 'reader', true],
      ['writer', 'writer', true],
      ['writer', 'admin', false],
      ['admin', 'reader', true],
      ['admin', 'writer', true],
      ['admin', 'admin', true],
    ];
    for (const [role, minimum, expected] of table)
      expect(roleAtLeast(role, minimum), `${role} >= ${minimum}`).toBe(expected);
  });
});

describe('assertCanManageProject', () => {
  const tenant = { name: 'plant-a', isRoot: false };
  const root = { name: 'admin', isRoot: true };

  it('lets an admin manage its own project only', () => {
    expect(codeOf(() => assertCanManageProject(principal('admin', tenant), 'plant-a'))).toBe('OK');
    expect(codeOf(() => assertCanManageProject(principal('admin', tenant), 'plant-b'))).toBe('FORBIDDEN');
  });

  it('lets a root admin manage any project', () => {
    expect(codeOf(() => assertCanManageProject(principal('admin', root), 'plant-b'))).toBe('OK');
  });

  it('refuses non-admins, even of the root project', () => {
    expect(codeOf(() => assertCanManageProject(principal('writer', tenant), 'plant-a'))).toBe('FORBIDDEN');
    expect(codeOf(() => assertCanManageProject(principal('reader', root), 'plant-b'))).toBe('FORBIDDEN');
  });
});

describe('names and tokens', () => {
  it('accepts slug project names only', () => {
    for (const ok of ['ab', 'plant-7', 'a'.repeat(63)])
      expect(ProjectNameSchema.safeParse(ok).success, ok).toBe(true);
    for (const bad of ['a', 'Plant', '7plant', 'plant_a', 'a'.repeat(64), '']) {
      expect(ProjectNameSchema.safeParse(bad).success, bad).toBe(false);
    }
  });

  it('recognises the API key format', () => {
    expect(ApiKeyTokenSchema.safeParse(`aihub_ab12cd34_${'A'.repeat(43)}`).success).toBe(true);
    expect(ApiKeyTokenSchema.safeParse(`aihub_AB12CD34_${'A'.repeat(43)}`).success).toBe(false);
    expect(ApiKeyTokenSchema.safeParse(`aihub_ab12cd34_${'A'.repeat(42)}`).success).toBe(false);
  });
});
