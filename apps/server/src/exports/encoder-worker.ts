import type { Writable } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import type { EncoderOptions, FromEncoder, ToEncoder } from './encoder-protocol.js';
import { ExportStatisticsAccumulator } from './feature-statistics.js';
import { openColumnarExportWriter } from './parquet-columns.js';

/*
 * The Parquet encoder thread of one export (see encoder.ts). Encoding is most of an export's CPU
 * in this process; here it runs beside the thread that reads rows from PostgreSQL and uploads the
 * bytes, writing the column-wise batches as they come (parquet-columns.ts), and its
 * garbage lives in this thread's own, bounded heap. Each chunk of the file goes back to the export's
 * thread; at most a few MB are produced ahead of what the upload has taken (backpressure). The
 * per-feature statistics of the export are gathered here too, from the column-wise batches.
 */

const port = parentPort;
if (!port) throw new Error('encoder-worker runs as a worker thread');
const options = workerData as EncoderOptions;
const send = (message: FromEncoder, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

// Bytes sent but not yet taken by the upload: parquetjs writes a row group as many small chunks,
// and waiting for each one's round trip would stall it, so up to a window may be in flight.
const WINDOW_BYTES = options.windowBytes;
let inFlight = 0;
let blocked: (() => void) | undefined;
const sink = {
  write(buf: Uint8Array, done: (error?: Error | null) => void) {
    // parquetjs may hand out views of Node's shared buffer pool: send a copy that owns its memory.
    const data = new Uint8Array(buf);
    inFlight += data.byteLength;
    send({ kind: 'chunk', data }, [data.buffer as ArrayBuffer]);
    if (inFlight <= WINDOW_BYTES) done(null);
    else blocked = () => done(null);
  },
  end(done: (error?: Error | null) => void) {
    done(null);
  },
};

const fail = (error: unknown) =>
  send({ kind: 'error', message: error instanceof Error ? error.message : String(error) });

// Messages are handled one at a time, in order.
let queue: Promise<void> = Promise.resolve();
const writerReady = openColumnarExportWriter(
  sink as unknown as Writable,
  options.features,
  options.includeLabel,
  options.metadata,
);
const statistics = new ExportStatisticsAccumulator(options.features);
writerReady.catch(fail);

port.on('message', (message: ToEncoder) => {
  if (message.kind === 'ack') {
    inFlight -= message.bytes;
    if (blocked && inFlight <= WINDOW_BYTES) {
      const resume = blocked;
      blocked = undefined;
      resume();
    }
    return;
  }
  queue = queue.then(async () => {
    try {
      const writer = await writerReady;
      if (message.kind === 'rows') {
        await writer.append(message);
        statistics.addBatch(message.entityIds.length, message.values, message.nulls);
        send({ kind: 'appended' });
      } else {
        await writer.close();
        send({ kind: 'closed', statistics: statistics.result() });
      }
    } catch (error) {
      fail(error);
    }
  });
});
