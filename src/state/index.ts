// The State module's public surface: the daemon starts a StateService and syncs on start; the
// API (later: `rnx job list --all-nodes`) calls listAllNodes.
export { StateService, STATE_CHECKPOINT, type StateServiceOptions, type StateStatus } from './stateService.js';
export type { StateSettings, StateBackend } from './backend.js';
export type { JobRecord, RecordVersion } from './record.js';
export { toRecord, toJob, isNewer } from './record.js';
export { importMissing, importsFor, syncJobsOnStart, type SyncTarget } from './syncOnStart.js';
export { createBackend, stateDir } from './backends.js';
export { listAllNodes } from './registry.js';
