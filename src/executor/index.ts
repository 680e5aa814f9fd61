// The executor's public surface for the daemon.
export type { AttachSpec, Executor, LaunchSpec, Observation, ObservationListener, StopSignal, JobIsolation } from './types.js';
export { DEFAULT_ISOLATION, DEFAULT_SYSTEM_DIRS } from './types.js';
export { detectCgroupDriver, removeSupervisorsCgroup, type CgroupDriver, type JobLimits } from './cgroups/index.js';
export { createNativeExecutor, type NativeExecutorOptions } from './nativeExecutor.js';
export { defaultLauncherPath } from './launcherPath.js';
export { CORRUPT_SUFFIX, CorruptStateError, PID_FILE, STATUS_FILE } from './supervisorFiles.js';
export { checkStateDir } from './stateDirCheck.js';
export { SPOOL_FILE, SPOOL_START } from './spool.js';
export { addCaptureGate, type CaptureGate } from './captureGate.js';
export { setOutputAllocator } from './outputBuffers.js';
