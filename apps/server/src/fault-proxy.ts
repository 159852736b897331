import { createServer, type Server, Socket } from 'node:net';

/*
 * A TCP fault proxy for tests: the server under test reaches PostgreSQL or S3 through it, and the
 * test resets, pauses or cuts those connections while the real service keeps serving everyone
 * else (the shared services are never stopped or paused). Hand-written because it is ~150 lines
 * over node:net and the tools that do this (toxiproxy and the like) cannot be installed here.
 *
 *   const proxy = await startFaultProxy({ host: '127.0.0.1', port: 55432 });
 *   const url = proxy.rewriteUrl(databaseUrl);      // same URL, through the proxy
 *   proxy.resetAll();                               // every open connection gets a TCP RST
 *   proxy.pause();  ...  proxy.resume();            // bytes stop flowing (connections stay open)
 *   proxy.cutAfter(1_000_000, 'up');                // reset once 1 MB more has gone upstream
 *   proxy.refuse(true);                             // new connections are reset at once
 */

export type Direction = 'up' | 'down';

export interface FaultProxy {
  readonly host: string;
  readonly port: number;
  /** `url` with its host and port replaced by the proxy's (credentials, path and query kept). */
  rewriteUrl(url: string): string;
  /** Connections currently open through the proxy. */
  readonly openConnections: number;
  /** Bytes forwarded so far: `up` = client to service, `down` = service to client. */
  bytes(direction: Direction): number;
  /** Resets (TCP RST) every open connection, on both sides. */
  resetAll(): void;
  /** Closes every open connection cleanly (FIN) on both sides. */
  endAll(): void;
  /**
   * Stops forwarding in both directions: connections stay open and nothing arrives, as with a
   * hung service or a network partition. New connections are accepted and held too.
   */
  pause(): void;
  resume(): void;
  readonly paused: boolean;
  /** New connections are reset as soon as they arrive while on. */
  refuse(on: boolean): void;
  /** Resets every connection once `bytes` more have been forwarded in `direction` (one shot). */
  cutAfter(bytes: number, direction: Direction): Promise<void>;
  /** Resolves once at least `bytes` more have been forwarded in `direction`. */
  waitForBytes(bytes: number, direction: Direction): Promise<void>;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  service: Socket;
}

export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  const pairs = new Set<Pair>();
  const counts: Record<Direction, number> = { up: 0, down: 0 };
  const watchers: { direction: Direction; at: number; fire: () => void }[] = [];
  let paused = false;
  let refusing = false;

  const counted = (direction: Direction, length: number) => {
    counts[direction] += length;
    for (const watcher of [...watchers]) {
      if (watcher.direction === direction && counts[direction] >= watcher.at) {
        watchers.splice(watchers.indexOf(watcher), 1);
        watcher.fire();
      }
    }
  };

  const destroy = (pair: Pair, how: 'reset' | 'end') => {
    pairs.delete(pair);
    for (const socket of [pair.client, pair.service]) {
      if (how === 'reset' && !socket.destroyed && socket.readyState !== 'opening') socket.resetAndDestroy();
      else if (how === 'reset') socket.destroy();
      else socket.end();
    }
  };

  const forward = (from: Socket, to: Socket, direction: Direction) => {
    from.on('data', (chunk: Buffer) => {
      counted(direction, chunk.length);
      if (!to.write(chunk)) from.pause();
    });
    to.on('drain', () => {
      if (!paused) from.resume();
    });
    from.on('end', () => to.end());
  };

  const server: Server = createServer((client) => {
    if (refusing) {
      client.resetAndDestroy();
      return;
    }
    const service = new Socket();
    const pair = { client, service };
    pairs.add(pair);
    client.on('error', () => destroy(pair, 'reset'));
    service.on('error', () => destroy(pair, 'reset'));
    client.on('close', () => destroy(pair, 'end'));
    service.on('close', () => destroy(pair, 'end'));
    if (paused) client.pause();
    service.connect(target.port, target.host, () => {
      if (paused) service.pause();
      forward(client, service, 'up');
      forward(service, client, 'down');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  const waitForBytes = (bytes: number, direction: Direction) =>
    new Promise<void>((resolve) => {
      watchers.push({ direction, at: counts[direction] + bytes, fire: resolve });
      counted(direction, 0);
    });

  const proxy: FaultProxy = {
    host: '127.0.0.1',
    port,
    rewriteUrl(url) {
      const parsed = new URL(url);
      parsed.hostname = '127.0.0.1';
      parsed.port = String(port);
      return parsed.toString();
    },
    get openConnections() {
      return pairs.size;
    },
    bytes: (direction) => counts[direction],
    resetAll() {
      for (const pair of [...pairs]) destroy(pair, 'reset');
    },
    endAll() {
      for (const pair of [...pairs]) destroy(pair, 'end');
    },
    pause() {
      paused = true;
      for (const { client, service } of pairs) {
        client.pause();
        service.pause();
      }
    },
    resume() {
      paused = false;
      for (const { client, service } of pairs) {
        client.resume();
        service.resume();
      }
    },
    get paused() {
      return paused;
    },
    refuse(on) {
      refusing = on;
    },
    async cutAfter(bytes, direction) {
      await waitForBytes(bytes, direction);
      proxy.resetAll();
    },
    waitForBytes,
    async close() {
      proxy.resetAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return proxy;
}
