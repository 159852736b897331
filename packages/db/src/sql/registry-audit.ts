import type { AuditAction } from '@aihub/core';
import type pg from 'pg';

export interface AuditEntry {
  projectId: string;
  modelId: string;
  modelName: string;
  versionId: string | null;
  version: number | null;
  action: AuditAction;
  actor: string;
  from?: string | null;
  to?: string | null;
  comment?: string | null;
}

/** Appends one audit event inside the caller's transaction, so the trail and the change commit together. */
export async function recordAudit(client: pg.PoolClient, e: AuditEntry): Promise<void> {
  // clock_timestamp(): events of one transaction keep distinct, increasing times.
  await client.query(
    `INSERT INTO model_audit_events
       (project_id, model_id, model_name, version_id, version, action, actor, from_value, to_value, comment, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, clock_timestamp())`,
    [
      e.projectId,
      e.modelId,
      e.modelName,
      e.versionId,
      e.version,
      e.action,
      e.actor,
      e.from ?? null,
      e.to ?? null,
      e.comment ?? null,
    ],
  );
}

export const AUDIT_QUERY = `
  SELECT id, model_name, version_id, version, action, actor, from_value, to_value, comment, created_at
  FROM model_audit_events
  WHERE project_id = $1 AND model_id = $2 AND ($3::int IS NULL OR version = $3)
  ORDER BY id`;
