/** Every command of the CLI, in the order help lists them. */
import type { Command } from '../command.js';
import { anomaliesDetectCommand, anomaliesListCommand } from './anomalies.js';
import {
  batchesCancelCommand,
  batchesDownloadCommand,
  batchesListCommand,
  batchesShowCommand,
  predictBatchCommand,
} from './batches.js';
import {
  exportsCancelCommand,
  exportsDownloadCommand,
  exportsListCommand,
  exportsShowCommand,
  featuresExportCommand,
} from './exports.js';
import { featuresDefineCommand, featuresOfflineCommand, featuresSetsCommand } from './features.js';
import { featuresDriftCommand } from './features-drift.js';
import {
  featuresGetCommand,
  featuresHistoryCommand,
  featuresMaterializeCommand,
  materializationsListCommand,
} from './features-online.js';
import { healthCommand, whoamiCommand } from './health.js';
import { ingestCommands } from './ingest.js';
import { keysCreateCommand, keysListCommand, keysRevokeCommand } from './keys.js';
import {
  modelsDownloadCommand,
  modelsHistoryCommand,
  modelsListCommand,
  modelsRegisterCommand,
  modelsShowCommand,
} from './models.js';
import { modelsVerifyCommand } from './models-verify.js';
import {
  modelsAliasCommand,
  modelsCopyCommand,
  modelsDeleteCommand,
  modelsPromoteCommand,
} from './models-write.js';
import { predictCommand } from './predict.js';
import { projectsCreateCommand, projectsListCommand } from './projects.js';
import {
  aggregatesRefreshCommand,
  aggregatesStatusCommand,
  entitiesListCommand,
  retentionCommand,
} from './store.js';

export const commands: readonly Command[] = [
  healthCommand,
  whoamiCommand,
  projectsCreateCommand,
  projectsListCommand,
  keysCreateCommand,
  keysListCommand,
  keysRevokeCommand,
  modelsRegisterCommand,
  modelsListCommand,
  modelsShowCommand,
  modelsPromoteCommand,
  modelsAliasCommand,
  modelsDeleteCommand,
  modelsCopyCommand,
  modelsHistoryCommand,
  modelsDownloadCommand,
  modelsVerifyCommand,
  // Before `predict`, which would otherwise take `batch` for its model.
  predictBatchCommand,
  predictCommand,
  anomaliesDetectCommand,
  anomaliesListCommand,
  batchesListCommand,
  batchesShowCommand,
  batchesDownloadCommand,
  batchesCancelCommand,
  ...ingestCommands,
  entitiesListCommand,
  aggregatesRefreshCommand,
  aggregatesStatusCommand,
  featuresSetsCommand,
  featuresDefineCommand,
  featuresOfflineCommand,
  featuresGetCommand,
  featuresMaterializeCommand,
  materializationsListCommand,
  featuresHistoryCommand,
  featuresDriftCommand,
  featuresExportCommand,
  exportsListCommand,
  exportsShowCommand,
  exportsDownloadCommand,
  exportsCancelCommand,
  retentionCommand,
];
