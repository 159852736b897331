import { DomainError, ModelVersionRefTextSchema, TimestampInputSchema } from '@aihub/core';
import { z } from 'zod';
import { measureDrift } from '../drift/measure-drift.js';
import { readerProcedure } from '../trpc.js';

/** features.drift: a model's served vectors of the last day against its training export. */

const DriftInput = z.object({
  model: ModelVersionRefTextSchema,
  /** The window's end (exclusive, rounded down to the hour); by default the end of the current hour. */
  end: TimestampInputSchema.optional(),
  /** How many earlier reports to return beside this one. */
  historyLimit: z.number().int().min(0).max(100).default(10),
});

export const featureDriftProcedures = {
  /**
   * Measures now (and records in the history) the drift of the model's served features over the
   * 24 hours before `end`, per feature PSI and null-fraction change; answers the report and the
   * model version's earlier reports, newest first.
   */
  drift: readerProcedure.input(DriftInput).query(async ({ ctx, input }) => {
    const projectId = ctx.principal.project.id;
    const deps = ctx.deps.drift;
    const report = await measureDrift(deps, projectId, input.model, { end: input.end, trigger: 'request' });
    const history = await deps.reports.history(projectId, report.modelVersionId, input.historyLimit + 1);
    const version = await deps.models.get(projectId, { id: report.modelVersionId });
    if (!version) throw DomainError.notFound(`Model version '${report.modelVersionId}'`);
    return {
      model: version.modelName,
      version: version.version,
      stage: version.stage,
      ...report,
      history: history.filter((h) => h.id !== report.id).slice(0, input.historyLimit),
    };
  }),
};
