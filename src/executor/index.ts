// The executor's public surface for the daemon.
export type { Executor, LaunchSpec, Observation, StopSignal } from './types.js';
export { createNativeExecutor, type NativeExecutorOptions } from './nativeExecutor.js';
export { defaultLauncherPath } from './launcherPath.js';
