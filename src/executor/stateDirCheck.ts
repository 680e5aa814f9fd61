// What a restarted daemon finds in a job's state dir before it re-attaches, and the refusal when a
// file there is not what it must be: the daemon then does not start, and the error names the file
// and the recovery step (never a silent loss of history).
import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { checkSpool, SPOOL_FILE, SPOOL_START } from './spool.js';
import { CORRUPT_SUFFIX, CorruptStateError, PID_FILE, readSupervisorId, readSupervisorStatus, STATUS_FILE, type SupervisorId } from './supervisorFiles.js';
import type { AttachSpec } from './types.js';

export type StateDirFinding =
  /**
   * no supervisor ever ran for the job (and the log says it never started); heldGiveUp: one ran a
   * held launch and gave it up before any of the job ran (its files are to go before a relaunch)
   */
  | { kind: 'absent'; heldGiveUp?: boolean }
  /** the operator moved a corrupt file aside (`mv F F.corrupt`): the job ends as lost, with this reason */
  | { kind: 'setAside'; reason: string }
  /** a supervisor ran; id undefined when it left no pid file (then it is gone) */
  | { kind: 'found'; id?: SupervisorId };

export function checkStateDir(spec: AttachSpec): StateDirFinding {
  const dir = spec.stateDir;
  const names = existsSync(dir) ? readdirSync(dir) : [];
  const setAside = names.filter((n) => n.endsWith(CORRUPT_SUFFIX)).map((n) => join(dir, n));
  if (spec.spoolFile !== undefined && exists(spec.spoolFile + CORRUPT_SUFFIX)) setAside.push(spec.spoolFile + CORRUPT_SUFFIX);
  if (setAside.length > 0) {
    return { kind: 'setAside', reason: `lost: ${setAside.join(', ')} set aside as corrupt by the operator; output after spool offset ${spec.spoolOffset} is not in the log` };
  }
  const has = (n: string) => names.includes(n);
  // A spool outside the state dir (spec.spoolFile) is on disk while the state dir is on a tmpfs:
  // after a host restart it is the one trace left that a supervisor ran, so the job is not
  // launched a second time.
  const spool = spec.spoolFile ?? join(dir, SPOOL_FILE);
  const hasSpool = spec.spoolFile === undefined ? has(SPOOL_FILE) : exists(spool);
  if (!has(PID_FILE) && !has(STATUS_FILE) && !hasSpool && !spec.started) return { kind: 'absent' };

  const id = readSupervisorId(dir);
  const status = readSupervisorStatus(dir);
  // A held launch (decision 0022) whose daemon died before the release reached it gives up: the
  // job's code never ran. Its submission may still be durable and acknowledged (the release waits
  // for the spawner to name the launcher's pid, the answer does not), so the job is launched
  // again rather than failed for the daemon's crash.
  if (!hasSpool && status?.started === undefined && status?.error !== undefined && HELD_GIVE_UP.test(status.error)) return { kind: 'absent', heldGiveUp: true };
  if (hasSpool) {
    const problem = checkSpool(spool, spec.spoolOffset);
    if (problem) throw new CorruptStateError(spool, problem);
  } else if (spec.spoolOffset > SPOOL_START || (status?.started !== undefined && spec.spoolFile === undefined)) {
    // a supervisor without --spool creates its spool before it forks the job, so a started job
    // has one; with --spool it is made at the first record (native/spool.c): a job that printed
    // nothing has none
    throw new CorruptStateError(spool, `missing, but the job ${spec.spoolOffset > SPOOL_START ? `wrote output up to spool offset ${spec.spoolOffset}` : 'started'}`, true);
  }
  return { kind: 'found', ...(id ? { id } : {}) };
}

/** The status error of a held launch given up (native/init.c step 7b). */
const HELD_GIVE_UP = /^wait for the release \(--hold-fd\): ECANCELED\b/;

/** Whether the path names a file, without following a last symlink (a spool is never one). */
function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR') return false;
    throw err;
  }
}
