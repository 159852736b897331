import pg from 'pg';
import type { Logger } from 'pino';

/*
 * One LISTEN connection for the registry's announcements (migrations 20261128210000 and
 * 20261128260000):
 * - `aihub_models`: a version promoted to production or an alias moved to it; handed to `warm`, so
 *   every process loads that version before the first request for it arrives.
 * - `aihub_model_changes`: any change that can alter what a model reference resolves to; handed
 *   to `changed` (the resolution cache drops the project's entries).
 * `barrier()` sends a trivial query on this connection and resolves when it is answered.
 * PostgreSQL sends a listening session every notification committed before it began processing a
 * query ahead of that query's answer (pending notifications go out before ReadyForQuery, and the
 * committing session signals listeners before it reports the commit), so once a barrier started
 * after a commit has resolved, that commit's announcement has been handled. A lost connection is
 * reported to `changed` (everything dropped) and retried with backoff. pg's LISTEN support is used
 * directly, as the API key cache does.
 */

export const MODEL_CHANNEL = 'aihub_models';
export const MODEL_CHANGES_CHANNEL = 'aihub_model_changes';
/** A barrier unanswered this long means the connection hangs (a partition): dropped and reopened. */
const HUNG_AFTER_MS = 3_000;

export class ModelAnnouncements {
  private client: pg.Client | undefined;
  private listening = false;
  private stopped = false;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  /** The barrier query on the wire, and when it was sent. */
  private inflight: Promise<boolean> | undefined;
  private inflightSince = 0;
  /** The barrier callers who came while one was on the wire share, sent when it is answered. */
  private next: Promise<boolean> | undefined;

  constructor(
    private readonly url: string,
    private readonly warm: (projectId: string, versionId: string) => Promise<void>,
    private readonly log: Logger,
    /** A project's models changed; `null`: announcements may have been missed (all changed). */
    private readonly changed: (projectId: string | null) => void = () => {},
  ) {}

  async start(): Promise<void> {
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.listening = false;
    this.changed(null);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  /**
   * Resolves true once every change committed before this call has been handed to `changed`;
   * false when that cannot be known within `timeoutMs` (not listening, or no answer): the caller
   * then reads the database itself.
   */
  barrier(timeoutMs: number): Promise<boolean> {
    const client = this.client;
    if (!this.listening || !client) return Promise.resolve(false);
    let answer: Promise<boolean>;
    if (!this.inflight) answer = this.sendBarrier(client);
    else {
      if (performance.now() - this.inflightSince > HUNG_AFTER_MS) {
        this.lose(client, new Error(`the LISTEN connection did not answer for ${HUNG_AFTER_MS} ms`));
        return Promise.resolve(false);
      }
      // The query on the wire may have been sent before this call: wait for the next one.
      this.next ??= this.inflight.then(() => {
        this.next = undefined;
        return this.client === client && this.listening ? this.sendBarrier(client) : false;
      });
      answer = this.next;
    }
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    return Promise.race([answer, late]).finally(() => clearTimeout(timer));
  }

  private sendBarrier(client: pg.Client): Promise<boolean> {
    this.inflightSince = performance.now();
    const sent = client.query('SELECT 1').then(
      () => this.client === client && this.listening,
      () => false,
    );
    this.inflight = sent;
    void sent.then(() => {
      if (this.inflight === sent) this.inflight = undefined;
    });
    return sent;
  }

  private lose(client: pg.Client, error: unknown): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.listening = false;
    this.inflight = undefined;
    this.next = undefined;
    this.changed(null);
    this.log.warn({ err: error }, 'model announcements lost; models resolve in the database until back');
    client.end().catch(() => undefined);
    this.scheduleRetry();
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({
      connectionString: this.url,
      application_name: 'aihub-model-announcements',
      keepAlive: true,
      connectionTimeoutMillis: 5_000,
    });
    this.client = client;
    client.on('error', (error) => this.lose(client, error));
    client.on('end', () => this.lose(client, new Error('connection ended')));
    client.on('notification', (message) => {
      if (message.channel === MODEL_CHANGES_CHANNEL) {
        this.changed(message.payload || null);
        return;
      }
      const [projectId, versionId] = (message.payload ?? '').split(':');
      if (message.channel !== MODEL_CHANNEL || !projectId || !versionId) return;
      this.warm(projectId, versionId).catch((error: unknown) =>
        this.log.warn({ err: error, versionId }, 'could not warm an announced model version'),
      );
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${MODEL_CHANNEL}; LISTEN ${MODEL_CHANGES_CHANNEL}`);
      if (this.client !== client || this.stopped) return;
      this.attempt = 0;
      // Whatever was cached before this LISTEN may have missed announcements.
      this.changed(null);
      this.listening = true;
    } catch (error) {
      this.lose(client, error);
    }
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    const delay = Math.min(10_000, 200 * 2 ** this.attempt++);
    this.retryTimer = setTimeout(() => void this.connect(), delay);
    this.retryTimer.unref();
  }
}
