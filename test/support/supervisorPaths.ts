// Where a test daemon's supervisor keeps a job's files, asked of the daemon's own layout
// (src/daemon/jobFiles.ts): the pid and status files in a state dir on /dev/shm named after the
// node id, the spool in DATA_DIR/spool/<id>; or, on a host without a tmpfs at /dev/shm, all of
// them in the job dir DATA_DIR/jobs/<id>.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JobFiles, tmpfsStateRoot } from '../../src/daemon/jobFiles.js';
import { PID_FILE, SPOOL_FILE, STATUS_FILE } from '../../src/executor/index.js';

export interface SupervisorPaths { stateDir: string; onTmpfs: boolean; pidFile: string; statusFile: string; spool: string }

export function supervisorPaths(dataDir: string, uuid: string): SupervisorPaths {
  const nodeId = readFileSync(join(dataDir, 'node-id'), 'utf8').trim();
  const { stateDir, spoolFile } = new JobFiles(join(dataDir, 'jobs'), join(dataDir, 'run'), tmpfsStateRoot(nodeId)).statePaths(uuid);
  return {
    stateDir, onTmpfs: spoolFile !== undefined,
    pidFile: join(stateDir, PID_FILE), statusFile: join(stateDir, STATUS_FILE), spool: spoolFile ?? join(stateDir, SPOOL_FILE),
  };
}

/** The supervisor's pid, from its pid file ("<pid> <start time>"). */
export function supervisorPid(dataDir: string, uuid: string): number {
  return Number(readFileSync(supervisorPaths(dataDir, uuid).pidFile, 'utf8').split(' ')[0]);
}
