import { existsSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type FeatureColumns, type FeatureRow, packFeatureRows } from '@aihub/core';
import {
  type EncodedStatistics,
  type EncoderOptions,
  type FromEncoder,
  type RowBatch,
  type ToEncoder,
  transferList,
} from './encoder-protocol.js';

/*
 * An export's Parquet writer on its own thread (encoder-worker.ts). Encoding (and the export's
 * statistics) are most of the CPU an exported row costs this process; on the server's own thread
 * they delayed every API request during an export (auth.whoami p99 86.7 ms during a 1M-row export,
 * 30.7 ms with the encoder here), and their garbage stays in a heap of bounded size. Rows go over
 * column-wise (encoder-protocol.ts) and are encoded column-wise (parquet-columns.ts). Node's
 * worker_threads are used directly: a pool library would add nothing for one long-lived worker per
 * running export.
 */

export interface ExportEncoder {
  /** Resolves once the encoder can take another batch (at most two are queued). */
  append(rows: readonly FeatureRow[] | FeatureColumns): Promise<void>;
  /**
   * Writes the footer and ends `output` once every chunk of the file was written to it; answers
   * the per-feature statistics of the rows written.
   */
  close(): Promise<EncodedStatistics>;
  /** Stops the thread (after a failure or cancel). */
  destroy(): Promise<void>;
}

const MAX_QUEUED_BATCHES = 2;
// The encoder holds one row group (50,000 rows) of column-wise values (a few MB), the pages being
// written and the statistics' sketches; a small old generation keeps its garbage collected early
// (the process's peak RSS during a big export, bench/export).
const ENCODER_HEAP_MB = 64;
// Its garbage is short-lived (pages, per-page sets): a young generation of a few MB is enough, and
// V8's default (tens of MB per thread) would be most of the thread's resident memory.
const ENCODER_YOUNG_MB = 8;

function startWorker(options: EncoderOptions): Worker {
  const here = import.meta.url;
  // Built, the worker sits beside this module. Run from source (the test runner, which runs after
  // the build), it is the built one: Node 20 cannot load a TypeScript worker without a loader
  // that it does not apply to worker threads.
  const file = here.endsWith('.ts')
    ? new URL('../../dist/exports/encoder-worker.js', here)
    : new URL('./encoder-worker.js', here);
  if (!existsSync(file)) {
    throw new Error(`${fileURLToPath(file)} is missing: build the server first (pnpm turbo run build)`);
  }
  return new Worker(file, {
    workerData: options,
    resourceLimits: { maxOldGenerationSizeMb: ENCODER_HEAP_MB, maxYoungGenerationSizeMb: ENCODER_YOUNG_MB },
  });
}

export function openExportEncoder(
  output: Writable,
  features: readonly string[],
  includeLabel: boolean,
  options: { metadata?: Record<string, string>; windowBytes?: number } = {},
): ExportEncoder {
  const worker = startWorker({
    features: [...features],
    includeLabel,
    windowBytes: options.windowBytes ?? 8 * 1024 * 1024,
    metadata: options.metadata ?? {},
  });
  const post = (message: ToEncoder, transfer: ArrayBuffer[] = []) => worker.postMessage(message, transfer);

  let failure: Error | undefined;
  let queued = 0;
  let waiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  let closed:
    | { resolve: (statistics: EncodedStatistics) => void; reject: (error: Error) => void }
    | undefined;
  const settleWaiters = () => {
    const pending = waiters;
    waiters = [];
    for (const w of pending) failure ? w.reject(failure) : w.resolve();
  };
  const failWith = (error: Error) => {
    failure ??= error;
    settleWaiters();
    closed?.reject(failure);
    closed = undefined;
  };

  worker.on('message', (message: FromEncoder) => {
    switch (message.kind) {
      case 'chunk':
        // The encoder stops producing while too much is written but not yet taken by the upload.
        output.write(message.data, (error) => {
          if (error) failWith(error);
          else post({ kind: 'ack', bytes: message.data.byteLength });
        });
        return;
      case 'appended':
        queued--;
        settleWaiters();
        return;
      case 'closed':
        closed?.resolve(message.statistics);
        closed = undefined;
        return;
      case 'error':
        failWith(new Error(`Parquet encoding failed: ${message.message}`));
        return;
    }
  });
  worker.on('error', (error) => failWith(error));
  worker.on('exit', (code) => failWith(new Error(`the Parquet encoder stopped (exit code ${code})`)));

  return {
    async append(rows) {
      if (failure) throw failure;
      const columns = Array.isArray(rows)
        ? packFeatureRows(rows, features.length, includeLabel)
        : (rows as FeatureColumns);
      if (columns.entityIds.length === 0) return;
      // The typed arrays' memory moves to the encoder thread (they are unusable here after).
      const batch: RowBatch = { kind: 'rows', ...columns };
      queued++;
      post(batch, transferList(batch));
      while (queued >= MAX_QUEUED_BATCHES) {
        await new Promise<void>((resolve, reject) => waiters.push({ resolve, reject }));
      }
    },
    async close() {
      if (failure) throw failure;
      const done = new Promise<EncodedStatistics>((resolve, reject) => {
        closed = { resolve, reject };
      });
      post({ kind: 'close' });
      const statistics = await done;
      await worker.terminate();
      // As parquetjs does with its own output: the file is complete, so the stream ends.
      await new Promise<void>((resolve, reject) =>
        output.end((error?: Error | null) => (error ? reject(error) : resolve())),
      );
      return statistics;
    },
    async destroy() {
      await worker.terminate();
    },
  };
}
