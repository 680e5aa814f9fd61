// The cgroup drivers' public surface. The daemon calls detectCgroupDriver() once at start, logs
// describe(), and asks create() for one JobCgroup per job; the launcher joins JobCgroup.dirs.
export type { CgroupDriver, CgroupFacts, CgroupStats, DriverOptions, JobCgroup, JobLimits, KillMethod } from './types.js';
export { detectCgroupDriver } from './detectDriver.js';
export { createV1Driver } from './v1Driver.js';
export { createV2Driver } from './v2Driver.js';
export { blockDeviceFor, wholeDisk, decodeDev } from './blockDevice.js';
export { CgroupError } from './cgroupFiles.js';
export { removeSupervisorsCgroup } from './removeCgroup.js';
