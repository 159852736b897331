import { once } from 'node:events';
import { createServer, type Server, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from './fault-proxy.js';

// The proxy the fault tests rely on, against a plain echo server: each fault does what it says.

let echo: Server;
let proxy: FaultProxy;

beforeAll(async () => {
  echo = createServer((socket) => {
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', () => resolve()));
  const address = echo.address();
  proxy = await startFaultProxy({
    host: '127.0.0.1',
    port: typeof address === 'object' && address ? address.port : 0,
  });
});

afterAll(async () => {
  await proxy.close();
  await new Promise<void>((resolve) => echo.close(() => resolve()));
});

async function connect(): Promise<Socket> {
  const socket = new Socket();
  socket.connect(proxy.port, proxy.host);
  await once(socket, 'connect');
  return socket;
}

/** Whatever arrives within `ms`. */
async function readFor(socket: Socket, ms: number): Promise<string> {
  let text = '';
  const onData = (chunk: Buffer) => {
    text += chunk.toString();
  };
  socket.on('data', onData);
  await new Promise((resolve) => setTimeout(resolve, ms));
  socket.off('data', onData);
  return text;
}

describe('fault proxy', () => {
  it('forwards both ways and counts bytes', async () => {
    const socket = await connect();
    const before = proxy.bytes('up');
    socket.write('hello');
    expect(await readFor(socket, 100)).toBe('hello');
    expect(proxy.bytes('up') - before).toBe(5);
    socket.destroy();
  });

  it('resets open connections with ECONNRESET', async () => {
    const socket = await connect();
    const failed = once(socket, 'error');
    await new Promise((resolve) => setTimeout(resolve, 20));
    proxy.resetAll();
    const [error] = await failed;
    expect((error as NodeJS.ErrnoException).code).toBe('ECONNRESET');
  });

  it('pauses without closing, then delivers what was held', async () => {
    const socket = await connect();
    proxy.pause();
    socket.write('held');
    expect(await readFor(socket, 150)).toBe('');
    expect(socket.destroyed).toBe(false);
    const later = readFor(socket, 150);
    proxy.resume();
    expect(await later).toBe('held');
    socket.destroy();
  });

  it('cuts after a number of bytes in one direction', async () => {
    const socket = await connect();
    const errored = once(socket, 'error');
    const cut = proxy.cutAfter(1000, 'up');
    socket.write('x'.repeat(500));
    await readFor(socket, 50);
    expect(socket.destroyed).toBe(false);
    socket.write('x'.repeat(600));
    await cut;
    const [error] = await errored;
    expect((error as NodeJS.ErrnoException).code).toBe('ECONNRESET');
  });

  it('refuses new connections while refusing', async () => {
    proxy.refuse(true);
    const socket = new Socket();
    socket.connect(proxy.port, proxy.host);
    const [error] = await once(socket, 'error');
    expect((error as NodeJS.ErrnoException).code).toBe('ECONNRESET');
    proxy.refuse(false);
    const ok = await connect();
    ok.write('back');
    expect(await readFor(ok, 100)).toBe('back');
    ok.destroy();
  });
});
