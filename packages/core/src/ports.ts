import type { ApiKey, Project, Role } from './auth.js';
import type { FeatureSet } from './features.js';

/** Storage of projects (tenants). Implemented in @aihub/db. */
export interface ProjectRepository {
  /** Throws CONFLICT when the name is taken. */
  create(input: { name: string; description: string | null; isRoot?: boolean }): Promise<Project>;
  /** Creates the root project if missing; returns it either way. Safe under concurrent start-ups. */
  ensureRoot(name: string): Promise<Project>;
  getById(id: string): Promise<Project | null>;
  getByName(name: string): Promise<Project | null>;
  list(filter?: { ids?: readonly string[] }): Promise<Project[]>;
}

export interface NewApiKey {
  projectId: string;
  name: string;
  role: Role;
  prefix: string;
  hash: string;
}

/** Storage of API keys, which are kept only as hashes. Implemented in @aihub/db. */
export interface ApiKeyRepository {
  create(input: NewApiKey): Promise<ApiKey>;
  /** Inserts the key unless a key with this hash exists (bootstrap key on every start). */
  ensure(input: NewApiKey): Promise<ApiKey>;
  list(projectId: string, options?: { includeRevoked?: boolean }): Promise<ApiKey[]>;
  /** Throws NOT_FOUND unless the key belongs to the project. Revoking twice keeps the first time. */
  revoke(projectId: string, keyId: string): Promise<ApiKey>;
  /** The active (not revoked) key with this hash and its project. */
  findActiveByHash(hash: string): Promise<{ key: ApiKey; project: Project } | null>;
  /** Records that the key was used at `at` (callers throttle this; it is informational). */
  markUsed(keyId: string, at: Date): Promise<void>;
}

/** A dependency the server needs; `ping` resolves when it answers and rejects otherwise. */
export interface HealthProbe {
  readonly name: string;
  ping(): Promise<void>;
}

// Model registry ports (registry-ports.ts).
export type * from './registry-ports.js';

/** User-defined feature sets, immutable per version. Implemented in @aihub/db. */
export interface FeatureSetRepository {
  /**
   * Stores `features` as the next version of `name`, unless the latest version already has exactly
   * these features (then that version is returned and `created` is false). Safe under concurrency.
   */
  define(input: {
    projectId: string;
    name: string;
    features: readonly string[];
    description: string | null;
    createdBy: string;
  }): Promise<{ featureSet: FeatureSet; created: boolean }>;
  /** A version, or the latest when `version` is omitted; null if none. */
  get(projectId: string, name: string, version?: number): Promise<FeatureSet | null>;
  /** Every version of every user-defined set of the project. */
  list(projectId: string): Promise<FeatureSet[]>;
}
