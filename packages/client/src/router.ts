import type { inferRouterError, inferRouterInputs, inferRouterOutputs } from '@trpc/server';
// Type-only, from the server's source: the build bundles these declarations into dist/index.d.ts
// (rollup.dts.config.mjs), so nothing of the server is imported at run time or needed to type-check.
import type { ClientAppRouter } from '../../../apps/server/src/root.js';

/** The AI Hub API's router type: every procedure with its input and output types. */
export type AppRouter = ClientAppRouter;
/** Each procedure's input, e.g. `RouterInputs['features']['offline']`. */
export type RouterInputs = inferRouterInputs<AppRouter>;
/** Each procedure's output, e.g. `RouterOutputs['models']['list']`. */
export type RouterOutputs = inferRouterOutputs<AppRouter>;
/** The `data` every error answer carries: its code, HTTP status, request id and, for BAD_REQUEST, the invalid fields. */
export type AihubErrorData = inferRouterError<AppRouter>['data'];

// The named domain types that appear in inputs and outputs, so callers can name them (and a
// caller's own declarations that return them can be emitted).
export type {
  ArtifactFormat,
  AuditAction,
  DriftReport,
  DriftReportSummary,
  DriftTrigger,
  EntityInfo,
  ExportParams,
  ExportStatus,
  FeatureDrift,
  FeatureExport,
  FeatureRow,
  FeatureSet,
  FieldErrors,
  IngestProblem,
  IngestSummary,
  Lineage,
  Materialization,
  Metadata,
  Metrics,
  ModelAuditEvent,
  ModelStage,
  ModelVersion,
  ModelVersionPage,
  Params,
  RefreshResult,
  RegistrationStatus,
  RetentionResult,
  ServedVectorRecord,
} from '@aihub/core';
export type { DependencyStatus, Readiness } from '../../../apps/server/src/health.js';
export type { ServedVector, VectorStatus } from '../../../apps/server/src/online/serve.js';
export type { AihubErrorShape } from '../../../apps/server/src/trpc.js';
