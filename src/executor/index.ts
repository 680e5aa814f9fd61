// The executor's public surface for the daemon.
export type { Executor, LaunchSpec, Observation, StopSignal, JobIsolation } from './types.js';
export { DEFAULT_ISOLATION, DEFAULT_SYSTEM_DIRS } from './types.js';
export { detectCgroupDriver, type CgroupDriver, type JobLimits } from './cgroups/index.js';
export { createNativeExecutor, type NativeExecutorOptions } from './nativeExecutor.js';
export { defaultLauncherPath } from './launcherPath.js';
