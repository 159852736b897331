-- An artifact upload holds its pending version for a lease, renewed while bytes arrive. A process
-- killed mid-upload stops renewing: once the lease has passed, another upload may take the
-- version over, and the sweep marks it failed (instead of pending forever).
ALTER TABLE "model_versions" ADD COLUMN "upload_lease_until" TIMESTAMPTZ(3);

-- The sweep's search: pending versions with a claim.
CREATE INDEX "model_versions_upload_lease_idx" ON "model_versions" ("upload_lease_until")
  WHERE "status" = 'pending' AND "upload_started_at" IS NOT NULL;
