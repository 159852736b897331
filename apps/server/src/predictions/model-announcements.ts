import pg from 'pg';
import type { Logger } from 'pino';

/*
 * Listens on `aihub_models` (announced by the database when a version is promoted to production or
 * an alias moves to it, see migration 20261128210000) and hands each announced version to `warm`.
 * Only warming depends on it: requests resolve their version in the database, so a lost
 * connection costs a cold load, never a wrong answer. Reconnects with backoff. pg's LISTEN support
 * is used directly, as the API key cache does.
 */

export const MODEL_CHANNEL = 'aihub_models';

export class ModelAnnouncements {
  private client: pg.Client | undefined;
  private stopped = false;
  private attempt = 0;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: string,
    private readonly warm: (projectId: string, versionId: string) => Promise<void>,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({
      connectionString: this.url,
      application_name: 'aihub-model-announcements',
    });
    this.client = client;
    const lost = (error: unknown) => {
      if (this.client !== client) return;
      this.client = undefined;
      this.log.warn({ err: error }, 'model announcements lost; promoted models load on first use until back');
      client.end().catch(() => undefined);
      this.scheduleRetry();
    };
    client.on('error', lost);
    client.on('end', () => lost(new Error('connection ended')));
    client.on('notification', (message) => {
      const [projectId, versionId] = (message.payload ?? '').split(':');
      if (message.channel !== MODEL_CHANNEL || !projectId || !versionId) return;
      this.warm(projectId, versionId).catch((error: unknown) =>
        this.log.warn({ err: error, versionId }, 'could not warm an announced model version'),
      );
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${MODEL_CHANNEL}`);
      this.attempt = 0;
    } catch (error) {
      lost(error);
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
