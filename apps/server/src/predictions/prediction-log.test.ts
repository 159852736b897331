import type pg from 'pg';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { sample } from '../../test/support/metrics.js';
import { Metrics } from '../observability/metrics.js';
import { PredictionLog, type PredictionLogRow } from './prediction-log.js';

/* The queue's bookkeeping, with a pool that hangs or fails (pure logic: no database needed). */

const row = (i: number): PredictionLogRow => ({
  loggedAt: new Date(),
  projectId: '00000000-0000-0000-0000-000000000000',
  requestId: `r${i}`,
  keyName: 'k',
  modelVersionId: '00000000-0000-0000-0000-000000000001',
  entityId: `e${i}`,
  featuresAsOf: new Date(),
  input: [1, Number.NaN],
  output: 1,
});
const options = { maxQueued: 5, batchSize: 2, flushMs: 10 };
const silent = pino({ level: 'silent' });

describe('PredictionLog', () => {
  it('never waits for the database: a full queue drops and counts', async () => {
    const hanging = { query: () => new Promise(() => {}) } as unknown as pg.Pool;
    const log = new PredictionLog(hanging, options, silent);
    const started = performance.now();
    log.record([row(1), row(2), row(3)]);
    log.record([row(4), row(5), row(6), row(7)]);
    expect(performance.now() - started).toBeLessThan(50);
    expect(log.counts.dropped).toBe(2);
    expect(log.queued).toBe(5);
  });

  it('a failing database drops the batch and counts it; later rows are written again', async () => {
    let fail = true;
    const inserted: number[] = [];
    const pool = {
      query: async (sql: string, params?: unknown[]) => {
        if (fail) throw new Error('database down');
        if (sql.startsWith('INSERT')) inserted.push((params as unknown[][])[0]?.length ?? 0);
        return { rows: [] };
      },
    } as unknown as pg.Pool;
    const log = new PredictionLog(pool, options, silent);
    log.record([row(1), row(2), row(3)]);
    await log.flush();
    expect(log.counts).toEqual({ written: 0, dropped: 0, failed: 3 });
    fail = false;
    log.record([row(4), row(5), row(6)]);
    await log.flush();
    expect(inserted).toEqual([2, 1]);
    expect(log.counts).toEqual({ written: 3, dropped: 0, failed: 3 });
  });

  it("reports to the process's /metrics counters: written, dropped (queue full), failed rows and batches", async () => {
    let fail = true;
    const pool = {
      query: async () => {
        if (fail) throw new Error('database down');
        return { rows: [] };
      },
    } as unknown as pg.Pool;
    const metrics = new Metrics({ processMetrics: false });
    const log = new PredictionLog(pool, options, silent, metrics.predictionLog);
    log.record([row(1), row(2), row(3), row(4), row(5), row(6), row(7)]); // 5 fit, 2 dropped
    await log.flush(); // batches of 2, 2, 1: all three fail
    fail = false;
    log.record([row(8), row(9), row(10)]);
    await log.flush();
    const text = (await metrics.render()).body;
    expect(sample(text, 'aihub_prediction_log_rows_total', { outcome: 'written' })).toBe(3);
    expect(sample(text, 'aihub_prediction_log_rows_total', { outcome: 'dropped_queue_full' })).toBe(2);
    expect(sample(text, 'aihub_prediction_log_rows_total', { outcome: 'failed' })).toBe(5);
    expect(sample(text, 'aihub_prediction_log_failed_batches_total')).toBe(3);
  });
});
