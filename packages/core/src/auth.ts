import { z } from 'zod';
import { DomainError } from './errors.js';

/** Roles are ordered: each one can do everything the one before it can. */
export const RoleSchema = z.enum(['reader', 'writer', 'admin']);
export type Role = z.infer<typeof RoleSchema>;

const roleRank: Record<Role, number> = { reader: 0, writer: 1, admin: 2 };

export function roleAtLeast(role: Role, minimum: Role): boolean {
  return roleRank[role] >= roleRank[minimum];
}

/** A project (tenant) name: a lowercase slug, used in URLs, object keys and CLI flags. */
export const ProjectNameSchema = z
  .string()
  .regex(
    /^[a-z][a-z0-9-]{1,62}$/,
    'must be 2-63 characters: lowercase letters, digits and dashes, starting with a letter',
  );

export const ProjectSchema = z.object({
  id: z.uuid(),
  name: ProjectNameSchema,
  description: z.string().nullable(),
  /** The root project holds the platform operators: its admins create projects and manage any project's keys. */
  isRoot: z.boolean(),
  createdAt: z.date(),
});
export type Project = z.infer<typeof ProjectSchema>;

export const ApiKeyNameSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters');

export const ApiKeySchema = z.object({
  id: z.uuid(),
  projectId: z.uuid(),
  name: ApiKeyNameSchema,
  role: RoleSchema,
  /** The first characters of the token, shown so a person can tell keys apart; never enough to use it. */
  prefix: z.string(),
  createdAt: z.date(),
  revokedAt: z.date().nullable(),
  lastUsedAt: z.date().nullable(),
});
export type ApiKey = z.infer<typeof ApiKeySchema>;

/** `aihub_` + 8-character public prefix + `_` + 43-character secret (base64url of 32 random bytes). */
export const ApiKeyTokenSchema = z
  .string()
  .regex(/^aihub_[a-z0-9]{8}_[A-Za-z0-9_-]{43}$/, 'is not an AI Hub API key');
export const API_KEY_PREFIX_LENGTH = 'aihub_'.length + 8;

/** Who is calling: resolved from an API key on every request. */
export interface Principal {
  keyId: string;
  keyName: string;
  role: Role;
  project: Project;
}

/** Throws FORBIDDEN unless the principal's role is at least `minimum`. */
export function requireRole(principal: Principal, minimum: Role): void {
  if (!roleAtLeast(principal.role, minimum)) {
    throw DomainError.forbidden(`This action needs the '${minimum}' role; the key has '${principal.role}'`);
  }
}

/**
 * Whether the principal may manage (keys of) the named project: admins manage their own project;
 * admins of the root project manage any project. Throws FORBIDDEN otherwise. Decided on the name
 * alone, before any lookup, so a project admin cannot learn whether another project exists.
 */
export function assertCanManageProject(principal: Principal, projectName: string): void {
  requireRole(principal, 'admin');
  if (projectName === principal.project.name || principal.project.isRoot) return;
  throw DomainError.forbidden('A project admin can only manage its own project');
}
