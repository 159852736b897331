import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { waitFor } from './feature-data.js';

/*
 * A private redis-server on a free port, for tests that stop, pause or restart Redis. The shared
 * one on 56379 serves other test files concurrently and is never touched.
 */

const run = promisify(execFile);

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export class PrivateRedis {
  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts an empty, non-persistent redis-server on a free port. */
  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.start();
    return redis;
  }

  /** (Re)starts the server on its port, empty (no persistence). */
  async start(): Promise<void> {
    await run('redis-server', [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'yes',
      '--pidfile',
      this.pidFile,
    ]);
    await waitFor(
      () => this.cli('ping').catch(() => 'down'),
      (answer) => answer === 'PONG',
      10_000,
    );
  }

  /** Stops the server, dropping everything it held. */
  async stop(): Promise<void> {
    await this.resume().catch(() => {});
    await this.cli('shutdown', 'nosave').catch(() => {});
  }

  /** SIGSTOP: the kernel still accepts connections, but nothing is ever answered. */
  async pause(): Promise<void> {
    process.kill(await this.pid(), 'SIGSTOP');
  }

  async resume(): Promise<void> {
    process.kill(await this.pid(), 'SIGCONT');
  }

  /** Runs redis-cli against this server; resolves with its trimmed output. */
  async cli(...args: string[]): Promise<string> {
    const { stdout } = await run('redis-cli', ['-p', String(this.port), ...args], { timeout: 5_000 });
    return stdout.trim();
  }

  /** How many times Redis executed `command` since it started (INFO commandstats). */
  async calls(command: string): Promise<number> {
    const stats = await this.cli('info', 'commandstats');
    const match = new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(stats);
    return match ? Number(match[1]) : 0;
  }

  private get pidFile(): string {
    return `/tmp/aihub-test-redis-${this.port}.pid`;
  }

  private async pid(): Promise<number> {
    const { readFile } = await import('node:fs/promises');
    return Number((await readFile(this.pidFile, 'utf8')).trim());
  }
}
