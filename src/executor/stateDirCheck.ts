// What a restarted daemon finds in a job's state dir before it re-attaches, and the refusal when a
// file there is not what it must be: the daemon then does not start, and the error names the file
// and the recovery step (never a silent loss of history).
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { checkSpool, SPOOL_FILE, SPOOL_START } from './spool.js';
import { CORRUPT_SUFFIX, CorruptStateError, PID_FILE, readSupervisorId, readSupervisorStatus, STATUS_FILE, type SupervisorId } from './supervisorFiles.js';
import type { AttachSpec } from './types.js';

export type StateDirFinding =
  /** no supervisor ever ran for the job (and the log says it never started) */
  | { kind: 'absent' }
  /** the operator moved a corrupt file aside (`mv F F.corrupt`): the job ends as lost, with this reason */
  | { kind: 'setAside'; reason: string }
  /** a supervisor ran; id undefined when it left no pid file (then it is gone) */
  | { kind: 'found'; id?: SupervisorId };

export function checkStateDir(spec: AttachSpec): StateDirFinding {
  const dir = spec.stateDir;
  const names = existsSync(dir) ? readdirSync(dir) : [];
  const setAside = names.filter((n) => n.endsWith(CORRUPT_SUFFIX));
  if (setAside.length > 0) {
    return { kind: 'setAside', reason: `lost: ${setAside.map((n) => join(dir, n)).join(', ')} set aside as corrupt by the operator; output after spool offset ${spec.spoolOffset} is not in the log` };
  }
  const has = (n: string) => names.includes(n);
  if (!has(PID_FILE) && !has(STATUS_FILE) && !has(SPOOL_FILE) && !spec.started) return { kind: 'absent' };

  const id = readSupervisorId(dir);
  const status = readSupervisorStatus(dir);
  const spool = join(dir, SPOOL_FILE);
  if (has(SPOOL_FILE)) {
    const problem = checkSpool(spool, spec.spoolOffset);
    if (problem) throw new CorruptStateError(spool, problem);
  } else if (spec.spoolOffset > SPOOL_START || status?.started !== undefined) {
    // the supervisor creates the spool before it forks the job, so a started job has one
    throw new CorruptStateError(spool, `missing, but the job ${spec.spoolOffset > SPOOL_START ? `wrote output up to spool offset ${spec.spoolOffset}` : 'started'}`, true);
  }
  return { kind: 'found', ...(id ? { id } : {}) };
}
