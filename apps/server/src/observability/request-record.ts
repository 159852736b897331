import type { IncomingMessage } from 'node:http';

/**
 * What the request log line and metrics need to know about a request beyond HTTP: which
 * procedures it ran and which API key (by name, never the token) made it. Filled in by the tRPC
 * middleware and by authentication; read when the response is done.
 */
export interface RequestRecord {
  procedures: string[];
  keyName: string | undefined;
  /** The tRPC error code of a failed call, if any. */
  errorCode: string | undefined;
}

const records = new WeakMap<IncomingMessage, RequestRecord>();

export function openRequestRecord(req: IncomingMessage): RequestRecord {
  const record: RequestRecord = { procedures: [], keyName: undefined, errorCode: undefined };
  records.set(req, record);
  return record;
}

export function requestRecordOf(req: IncomingMessage): RequestRecord | undefined {
  return records.get(req);
}
