import type { ApiKey, Project } from '@aihub/core';
import pg from 'pg';

/*
 * A per-process cache of the API keys requests present, so an authenticated request does not pay
 * a PostgreSQL round trip. It is only trusted while this process is LISTENing on `aihub_api_keys`,
 * where the database announces (by trigger, on commit) every change that can end or alter a key's
 * access, from whichever process or session made it. While that connection is down nothing is
 * cached and every lookup goes to the database; it reconnects in the background. A generation
 * counter stops a lookup that raced with an announcement from caching what it read before it.
 * Entries also expire after `ttlMs`.
 *
 * A connection can also hang without dropping (a network partition: no FIN, no RST, just
 * silence), and then announcements stop arriving while it still looks open. So the cache trusts
 * itself only while the LISTEN connection proves it is alive: a heartbeat `SELECT 1` every
 * `heartbeatMs`, and entries are used only if a heartbeat sent at most 2 x `heartbeatMs` ago has
 * been answered. PostgreSQL delivers a session's pending notifications before the answer to its
 * next query, so an answered heartbeat also means every announcement committed before it was sent
 * has been applied. A heartbeat unanswered for 3 x `heartbeatMs` counts as a lost connection.
 * The price: one trivial query per second per process.
 * pg's LISTEN support is used directly: no library adds anything this needs.
 */

export const API_KEY_CHANNEL = 'aihub_api_keys';

export interface ActiveKey {
  key: ApiKey;
  project: Project;
}

export interface ApiKeyCacheOptions {
  /** Connection string for the dedicated LISTEN connection. */
  url: string;
  ttlMs?: number;
  /** How often the LISTEN connection is checked; a revocation never goes unseen for longer than about twice this. */
  heartbeatMs?: number;
  maxEntries?: number;
  /** Called when the cache starts or stops being trusted (for logs). */
  onStateChange?: (listening: boolean, error?: unknown) => void;
}

const MAX_RETRY_MS = 5_000;

export class ApiKeyCache {
  private readonly entries = new Map<string, { value: ActiveKey; expires: number }>();
  private generation = 0;
  private listening = false;
  private stopped = false;
  private client: pg.Client | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private readonly ttlMs: number;
  private readonly heartbeatMs: number;
  private readonly maxEntries: number;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  /** When the last answered heartbeat (or the LISTEN itself) was sent. */
  private confirmedAt = 0;
  /** When the heartbeat in flight was sent; undefined when none is. */
  private heartbeatSentAt: number | undefined;

  constructor(private readonly options: ApiKeyCacheOptions) {
    this.ttlMs = options.ttlMs ?? 30_000;
    this.heartbeatMs = options.heartbeatMs ?? 1_000;
    this.maxEntries = options.maxEntries ?? 10_000;
  }

  /** True while announcements are being received, i.e. while cached entries are trusted. */
  get isListening(): boolean {
    return this.listening && Date.now() - this.confirmedAt <= 2 * this.heartbeatMs;
  }

  /** Connects and LISTENs; never throws (a failure leaves the cache off and retries later). */
  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.heartbeatTimer);
    this.setListening(false);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }

  async lookup(hash: string, load: () => Promise<ActiveKey | null>): Promise<ActiveKey | null> {
    if (!this.isListening) return load();
    const hit = this.entries.get(hash);
    if (hit && hit.expires > Date.now()) return hit.value;
    const generation = this.generation;
    const value = await load();
    // Unknown or revoked keys are not cached: guessing keys must not fill memory.
    if (value && this.isListening && generation === this.generation) {
      if (this.entries.size >= this.maxEntries) this.entries.clear();
      this.entries.set(hash, { value, expires: Date.now() + this.ttlMs });
    }
    return value;
  }

  /** Drops the key with this id (this process revoked it; the announcement follows for the others). */
  forgetKey(keyId: string): void {
    this.generation++;
    for (const [hash, entry] of this.entries) if (entry.value.key.id === keyId) this.entries.delete(hash);
  }

  /** Keeps a cached key's lastUsedAt in step with what was just recorded. */
  recordUse(keyId: string, at: Date): void {
    for (const entry of this.entries.values()) {
      if (entry.value.key.id === keyId)
        entry.value = { ...entry.value, key: { ...entry.value.key, lastUsedAt: at } };
    }
  }

  private announce(payload: string | undefined): void {
    this.generation++;
    if (!payload || payload === '*') this.entries.clear();
    else this.entries.delete(payload);
  }

  private setListening(listening: boolean, error?: unknown): void {
    if (!listening) {
      this.generation++;
      this.entries.clear();
    }
    if (listening !== this.listening) {
      this.listening = listening;
      this.options.onStateChange?.(listening, error);
    }
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({
      connectionString: this.options.url,
      application_name: 'aihub-key-cache',
      keepAlive: true,
      connectionTimeoutMillis: 5_000,
    });
    this.client = client;
    const lost = (error?: unknown) => {
      if (this.client !== client) return;
      this.client = undefined;
      clearInterval(this.heartbeatTimer);
      this.heartbeatSentAt = undefined;
      this.setListening(false, error);
      client.end().catch(() => {});
      this.scheduleRetry();
    };
    client.on('error', lost);
    client.on('end', () => lost(new Error('connection ended')));
    client.on('notification', (message) => {
      if (message.channel === API_KEY_CHANNEL) this.announce(message.payload);
    });
    try {
      await client.connect();
      const sentAt = Date.now();
      await client.query(`LISTEN ${API_KEY_CHANNEL}`);
      if (this.client !== client || this.stopped) return;
      this.attempt = 0;
      this.confirmedAt = sentAt;
      this.heartbeatTimer = setInterval(() => this.heartbeat(client, lost), this.heartbeatMs);
      this.heartbeatTimer.unref();
      this.setListening(true);
    } catch (error) {
      lost(error);
    }
  }

  private heartbeat(client: pg.Client, lost: (error: unknown) => void): void {
    if (this.client !== client) return;
    const now = Date.now();
    if (this.heartbeatSentAt !== undefined) {
      if (now - this.heartbeatSentAt > 3 * this.heartbeatMs) {
        lost(new Error(`the LISTEN connection did not answer for ${now - this.heartbeatSentAt} ms`));
      }
      return;
    }
    const sentAt = now;
    this.heartbeatSentAt = sentAt;
    client.query('SELECT 1').then(
      () => {
        if (this.client !== client) return;
        this.heartbeatSentAt = undefined;
        this.confirmedAt = sentAt;
      },
      (error: unknown) => lost(error),
    );
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    const delay = Math.min(MAX_RETRY_MS, 200 * 2 ** this.attempt++);
    this.retryTimer = setTimeout(() => void this.connect(), delay);
    this.retryTimer.unref();
  }
}
