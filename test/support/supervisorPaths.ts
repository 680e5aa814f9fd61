// Where a test daemon's supervisor keeps a job's files, found as the daemon lays them out
// (src/daemon/jobFiles.ts): the pid and status files in a state dir on /dev/shm named after the
// node id, the spool in DATA_DIR/spool/<id>; or, on a host without a tmpfs at /dev/shm, all of
// them in the job dir DATA_DIR/jobs/<id>.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SupervisorPaths { stateDir: string; onTmpfs: boolean; pidFile: string; statusFile: string; spool: string }

export function supervisorPaths(dataDir: string, uuid: string): SupervisorPaths {
  const nodeId = readFileSync(join(dataDir, 'node-id'), 'utf8').trim();
  const stateRoot = join('/dev/shm', `joblet-${nodeId}`);
  const onTmpfs = existsSync(stateRoot);
  const jobDir = join(dataDir, 'jobs', uuid);
  const stateDir = onTmpfs ? join(stateRoot, uuid) : jobDir;
  const spool = onTmpfs ? join(dataDir, 'spool', uuid) : join(jobDir, 'output.spool');
  return { stateDir, onTmpfs, pidFile: join(stateDir, 'supervisor.pid'), statusFile: join(stateDir, 'status'), spool };
}

/** The supervisor's pid, from its pid file ("<pid> <start time>"). */
export function supervisorPid(dataDir: string, uuid: string): number {
  return Number(readFileSync(supervisorPaths(dataDir, uuid).pidFile, 'utf8').split(' ')[0]);
}
