import type { ModelVersion } from '@aihub/core';
import type { OnnxSession } from './onnx.js';
import type { ServingSpec } from './serving-spec.js';

/*
 * Loaded ONNX sessions per model version id, least recently used first out once their artifacts
 * add up to more than `maxBytes` (MODEL_CACHE_MB). A version is loaded once however many requests
 * ask for it at the same time (they share the one load). A session evicted while a run uses it is
 * released when that run ends. Hand-written: it is a Map in insertion order plus a byte count;
 * an LRU library would still need the in-use and single-flight parts.
 */

export interface LoadedModel {
  version: ModelVersion;
  spec: ServingSpec;
  session: OnnxSession;
  sizeBytes: number;
}

interface Entry {
  model: LoadedModel;
  active: number;
  evicted: boolean;
}

export class ModelCache {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<Entry>>();
  private bytes = 0;
  /** Loads started (a load shared by concurrent requests counts once). */
  loads = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly load: (version: ModelVersion) => Promise<LoadedModel>,
  ) {}

  get size(): { models: number; bytes: number } {
    return { models: this.entries.size, bytes: this.bytes };
  }

  has(versionId: string): boolean {
    return this.entries.has(versionId);
  }

  /** Runs `work` with the version's session, loading it first unless cached. */
  async use<T>(version: ModelVersion, work: (model: LoadedModel, cached: boolean) => Promise<T>): Promise<T> {
    const cached = this.entries.has(version.id);
    const entry = await this.entry(version);
    entry.active++;
    try {
      return await work(entry.model, cached);
    } finally {
      entry.active--;
      if (entry.evicted && entry.active === 0) void entry.model.session.release().catch(() => undefined);
    }
  }

  /** Loads the version now (warming after a promotion); errors are the caller's to log. */
  async warm(version: ModelVersion): Promise<void> {
    const entry = await this.entry(version);
    if (entry.evicted && entry.active === 0) await entry.model.session.release().catch(() => undefined);
  }

  private async entry(version: ModelVersion): Promise<Entry> {
    const cached = this.entries.get(version.id);
    if (cached) {
      // Most recently used last.
      this.entries.delete(version.id);
      this.entries.set(version.id, cached);
      return cached;
    }
    let pending = this.loading.get(version.id);
    if (!pending) {
      this.loads++;
      pending = this.load(version)
        .then((model) => this.insert(model))
        .finally(() => this.loading.delete(version.id));
      this.loading.set(version.id, pending);
    }
    return pending;
  }

  private insert(model: LoadedModel): Entry {
    const entry: Entry = { model, active: 0, evicted: false };
    if (model.sizeBytes > this.maxBytes) {
      // Larger than the whole cache: served to the requests that waited for it, never kept.
      entry.evicted = true;
      return entry;
    }
    this.entries.set(model.version.id, entry);
    this.bytes += model.sizeBytes;
    for (const [id, oldest] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(id);
      this.bytes -= oldest.model.sizeBytes;
      oldest.evicted = true;
      if (oldest.active === 0) void oldest.model.session.release().catch(() => undefined);
    }
    return entry;
  }

  async close(): Promise<void> {
    for (const entry of this.entries.values()) await entry.model.session.release().catch(() => undefined);
    this.entries.clear();
    this.bytes = 0;
  }
}
