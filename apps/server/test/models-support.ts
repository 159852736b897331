import { Readable } from 'node:stream';
import { TRPCClientError } from '@trpc/client';
import { createS3Client } from '@aihub/storage';
import { deterministicBytes } from '@aihub/storage/testing';
import type { AihubClient } from '../src/client.js';
import type { Env } from '../src/env.js';

/** The tRPC error code a call failed with (or 'OK'), plus the field names of a BAD_REQUEST. */
export async function outcome(
  call: Promise<unknown>,
): Promise<{ code: string; message: string; fields: string[] }> {
  try {
    await call;
    return { code: 'OK', message: '', fields: [] };
  } catch (error) {
    if (!(error instanceof TRPCClientError)) throw error;
    const data = error.data as { code: string; fieldErrors: Record<string, string[]> | null };
    return { code: data.code, message: error.message, fields: Object.keys(data.fieldErrors ?? {}) };
  }
}

export const codeOf = async (call: Promise<unknown>) => (await outcome(call)).code;

/** PUTs a body to the upload endpoint as a stream, the way the CLI does. */
export async function putArtifact(
  baseUrl: string,
  apiKey: string | undefined,
  path: string,
  body: AsyncIterable<Uint8Array>,
): Promise<{ status: number; json: { error?: { code: string; message: string } } }> {
  const res = await fetch(new URL(path, baseUrl), {
    method: 'PUT',
    headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {},
    body: Readable.toWeb(Readable.from(body)) as ReadableStream,
    duplex: 'half',
  } as RequestInit);
  return { status: res.status, json: (await res.json()) as { error?: { code: string; message: string } } };
}

/** Registers and uploads `size` deterministic bytes; returns the ready version. */
export async function registerModel(
  client: AihubClient,
  baseUrl: string,
  apiKey: string,
  input: { name: string; size?: number; seed?: number; metrics?: Record<string, number> },
) {
  const { version, upload } = await client.models.register.mutate({
    name: input.name,
    format: 'onnx',
    metrics: input.metrics ?? {},
  });
  const put = await putArtifact(
    baseUrl,
    apiKey,
    upload.path,
    deterministicBytes(input.size ?? 1024, input.seed ?? 1),
  );
  if (put.status !== 200) throw new Error(`upload failed: ${put.status} ${JSON.stringify(put.json)}`);
  return client.models.get.query({ id: version.id });
}

/** A minio-js client of the test server's own store, for looking at (or tampering with) objects directly. */
export function s3Of(env: Env) {
  return createS3Client({
    endpoint: env.S3_ENDPOINT,
    region: env.S3_REGION,
    accessKey: env.S3_ACCESS_KEY,
    secretKey: env.S3_SECRET_KEY,
  });
}
