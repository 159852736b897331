import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { DomainError } from '@aihub/core';

/**
 * A pass-through stream that computes sha256 and counts bytes as they flow, so neither the upload
 * nor the verified download ever holds an artifact in memory.
 */
export class HashingStream extends Transform {
  private readonly hash = createHash('sha256');
  bytes = 0;

  constructor(
    private readonly options: {
      maxBytes?: number | undefined;
      /** Checked when the stream ends; a mismatch fails the stream instead of ending it. */
      expected?: { sizeBytes: number; sha256: string; what: string } | undefined;
    } = {},
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    const max = this.options.maxBytes;
    if (max !== undefined && this.bytes > max) {
      callback(new DomainError('PAYLOAD_TOO_LARGE', `Artifact is larger than ${max} bytes`));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    this.digest = this.hash.digest('hex');
    const expected = this.options.expected;
    if (expected && (expected.sha256 !== this.digest || expected.sizeBytes !== this.bytes)) {
      callback(
        new DomainError(
          'PRECONDITION_FAILED',
          `Integrity check failed for ${expected.what}: stored bytes have sha256 ${this.digest} (${this.bytes} bytes), ` +
            `expected ${expected.sha256} (${expected.sizeBytes} bytes)`,
        ),
      );
      return;
    }
    callback();
  }

  /** Hex sha256, available once the stream has ended. */
  digest: string | undefined;
}
