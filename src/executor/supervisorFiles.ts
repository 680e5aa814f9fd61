// The files a job's supervisor keeps in its state dir (native/state.c) and what they say about it:
// supervisor.pid ("<pid> <start time>") and status (the status lines so far). A restarted daemon
// reads them to tell a live supervisor from one that exited (with the job's status) or vanished.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseStatusLine, type StatusLine } from './launcherProtocol.js';

export const PID_FILE = 'supervisor.pid';
export const STATUS_FILE = 'status';
/** The operator's recovery step for a corrupt file: `mv FILE FILE.corrupt` (see checkStateDir). */
export const CORRUPT_SUFFIX = '.corrupt';

export interface SupervisorId { pid: number; startTime: number }

export interface SupervisorStatus {
  /** the job's host pid once it runs */
  started?: number;
  /** why it never ran */
  error?: string;
  /** its end: `exited <code>` or `killed <signo>` */
  final?: Extract<StatusLine, { kind: 'exited' | 'killed' }>;
  /** when the status file was last replaced (unix ms): the time of its last line */
  at: number;
}

/** A file of a job's state dir that cannot be read as what it must be. */
export class CorruptStateError extends Error {
  constructor(readonly file: string, problem: string, missing = false) {
    const step = missing ? `mark it with \`touch ${file}${CORRUPT_SUFFIX}\`` : `move it aside with \`mv ${file} ${file}${CORRUPT_SUFFIX}\``;
    super(`${file}: ${problem}; to recover, stop the job's supervisor if one runs (pid in ${PID_FILE}), ${step} and start the daemon again: the job is then recorded FAILED with the output the log already holds`);
  }
}

export function readSupervisorId(dir: string): SupervisorId | undefined {
  const file = join(dir, PID_FILE);
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8');
  const m = /^([1-9][0-9]*) ([0-9]+)\n$/.exec(text);
  if (!m) throw new CorruptStateError(file, `not "<pid> <start time>" (${JSON.stringify(text.slice(0, 40))})`);
  return { pid: Number(m[1]), startTime: Number(m[2]) };
}

/** The status lines so far; undefined when the supervisor has written none yet. */
export function readSupervisorStatus(dir: string): SupervisorStatus | undefined {
  const file = join(dir, STATUS_FILE);
  let text: string;
  let at: number;
  try {
    // before the supervisor's first line there is no file: no thrown ENOENT for that (one per
    // wake-up of a launching job, each an Error with its stack on the daemon's thread)
    const st = statSync(file, { throwIfNoEntry: false });
    if (!st) return undefined;
    at = st.mtimeMs;
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  // created, its first line not written yet (it is appended: native/state.c)
  if (text === '') return undefined;
  const out: SupervisorStatus = { at: Math.floor(at) };
  if (!text.endsWith('\n')) throw new CorruptStateError(file, 'does not end with a newline (the supervisor writes each line whole, so it was cut)');
  for (const line of text.slice(0, -1).split('\n')) {
    let s: StatusLine;
    try { s = parseStatusLine(line); } catch (err) { throw new CorruptStateError(file, (err as Error).message); }
    if (s.kind === 'started') out.started = s.pid;
    else if (s.kind === 'error') out.error ??= s.reason;
    else out.final = s;
  }
  return out;
}

/**
 * Whether the process with this pid is still the supervisor that wrote the pid file: the start
 * time (field 22 of /proc/<pid>/stat, proc(5)) differs once the pid is reused, and a zombie
 * (state Z or X) has exited already.
 */
export function supervisorAlive(id: SupervisorId): boolean {
  let stat: string;
  try { stat = readFileSync(`/proc/${id.pid}/stat`, 'utf8'); } catch { return false; }
  // field 2 (comm) may hold spaces and ')': count fields after the last ')'
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTime = Number(fields[22 - 3]);
  return startTime === id.startTime && state !== 'Z' && state !== 'X';
}
