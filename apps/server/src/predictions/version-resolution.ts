import type { ModelVersion, ModelVersionRef } from '@aihub/core';

/*
 * What model references resolve to (name@production, name@alias, name@3, an id), per project,
 * kept between requests so that predict does not read the registry on every call.
 *
 * The guarantee to keep: once a promotion (or any registry change) has committed, no request that
 * starts afterwards is answered from what was true before it. So every resolution first waits for
 * a barrier on the announcements' LISTEN connection (ModelAnnouncements.barrier): when it
 * resolves, every change committed before the request began has been announced and has dropped
 * the project's entries here. One round trip that carries nothing, shared by the requests that
 * arrive while it is on the wire, instead of a registry query per request. When the barrier
 * cannot say so in time (no connection, a partition), the request reads the registry itself.
 *
 * A lookup that raced with an announcement must not cache what it read before it: entries are
 * stored only if no announcement arrived between the barrier and the answer (`generation`); an
 * announcement handled before that point came before the lookup's query was sent, so the query
 * saw the change. Unknown references and errors are never cached. Hand-written: the invalidation
 * protocol is the whole of it, around a Map.
 */

export interface VersionResolutionOptions {
  /** How long a request waits for the barrier before reading the registry itself. */
  barrierTimeoutMs: number;
  maxEntries?: number;
}

function refKey(ref: ModelVersionRef): string {
  if ('id' in ref) return `id\u0000${ref.id}`;
  if ('version' in ref) return `version\u0000${ref.name}\u0000${ref.version}`;
  if ('stage' in ref) return `stage\u0000${ref.name}\u0000${ref.stage}`;
  return `alias\u0000${ref.name}\u0000${ref.alias}`;
}

export class VersionResolution {
  private readonly projects = new Map<string, Map<string, ModelVersion>>();
  private size = 0;
  private generation = 0;
  private readonly maxEntries: number;
  /** Resolutions answered from here, and from the registry (for tests and metrics). */
  readonly counts = { cached: 0, loaded: 0 };

  constructor(
    private readonly barrier: (timeoutMs: number) => Promise<boolean>,
    private readonly load: (projectId: string, ref: ModelVersionRef) => Promise<ModelVersion>,
    private readonly options: VersionResolutionOptions,
  ) {
    this.maxEntries = options.maxEntries ?? 10_000;
  }

  /** A project's models changed (announced); `null`: any may have (announcements were lost). */
  changed(projectId: string | null): void {
    this.generation++;
    if (projectId === null) {
      this.projects.clear();
      this.size = 0;
      return;
    }
    const entries = this.projects.get(projectId);
    if (!entries) return;
    this.size -= entries.size;
    this.projects.delete(projectId);
  }

  async resolve(projectId: string, ref: ModelVersionRef): Promise<ModelVersion> {
    if (!(await this.barrier(this.options.barrierTimeoutMs))) {
      this.counts.loaded++;
      return this.load(projectId, ref);
    }
    const key = refKey(ref);
    const hit = this.projects.get(projectId)?.get(key);
    if (hit) {
      this.counts.cached++;
      return hit;
    }
    const generation = this.generation;
    this.counts.loaded++;
    const version = await this.load(projectId, ref);
    if (generation === this.generation) {
      if (this.size >= this.maxEntries) this.changed(null);
      let entries = this.projects.get(projectId);
      if (!entries) {
        entries = new Map();
        this.projects.set(projectId, entries);
      }
      if (!entries.has(key)) this.size++;
      entries.set(key, version);
    }
    return version;
  }
}
