import { isTransientStorageError, timeoutOf } from './client.js';

export interface RetryOptions {
  /** Total attempts, including the first. */
  attempts?: number;
  /** Delay before the first retry; doubled each time, with jitter. */
  baseDelayMs?: number;
}

/**
 * Runs `work` again after transient failures (connection refused or reset, 5xx, SlowDown), with
 * exponential backoff. Refusals (not found, access denied) are not retried: they will not change.
 */
export async function withRetry<T>(work: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 3;
  const base = options.baseDelayMs ?? 100;
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      // A store that stayed silent for the whole timeout is not retried: that would multiply the wait.
      if (attempt >= attempts || !isTransientStorageError(error) || timeoutOf(error)) throw error;
      const delay = base * 2 ** (attempt - 1) * (0.5 + Math.random());
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
