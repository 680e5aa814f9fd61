// The daemon's side of the joblet-launcher command line and status lines (see native/launcher.h).
import { constants } from 'node:os';
import type { LaunchSpec } from './types.js';

/** The status fd of the launcher's protocol (tests that run the launcher directly use it). */
export const STATUS_FD = 3;

/**
 * SIGKILL cannot be caught, so "kill the whole job" is asked of the launcher with this signal: it
 * SIGKILLs the namespace's init and still reports the job's end. Must match KILL_CONTROL_SIGNAL
 * in native/launcher.h.
 */
export const KILL_CONTROL_SIGNAL: NodeJS.Signals = 'SIGPWR';

export type StatusLine =
  | { kind: 'started'; pid: number }
  | { kind: 'error'; reason: string }
  | { kind: 'exited'; code: number }
  | { kind: 'killed'; signal: number };

/**
 * The launcher's command line (native/README.md lists the flags). With isolation the launcher's
 * --workdir is the path inside the job and the spec's host work dir becomes --uploads. The
 * executor always runs it as the job's supervisor: --state-dir gets its pid, status and output
 * spool. Without a stateDir it is the direct mode tests use: status lines on fd 3 (STATUS_FD),
 * output on the inherited stdout and stderr. Values are passed as they are: the launcher validates
 * them and a bad one ends as startFailed naming it. netnsFd: the job's network namespace is
 * already open there (network 'none', through the spawner; never together with STATUS_FD).
 * holdFd: the launcher sets the job up, then waits for one byte there before the job runs.
 */
export function launcherArgs(spec: LaunchSpec, opts: { netnsFd?: number; holdFd?: number } = {}): string[] {
  const iso = spec.isolation;
  const workDir = iso ? iso.workDir : spec.workDir;
  if (workDir === undefined) throw new Error(`launch ${spec.jobId}: a job without isolation needs a host work dir`);
  const args = ['--workdir', workDir];
  if (spec.stateDir === undefined) args.push('--status-fd', String(STATUS_FD));
  else args.push('--state-dir', spec.stateDir);
  if (spec.spoolFile !== undefined) {
    if (spec.stateDir === undefined) throw new Error(`launch ${spec.jobId}: a spool file needs a state dir`);
    args.push('--spool', spec.spoolFile);
  }
  if (spec.maxOutputBytes !== undefined) args.push('--max-output', String(spec.maxOutputBytes));
  if (spec.outputBatchMs) args.push('--output-batch-ms', String(spec.outputBatchMs));
  if (spec.hostname !== undefined) args.push('--hostname', spec.hostname);
  if (opts.holdFd !== undefined) args.push('--hold-fd', String(opts.holdFd));
  for (const dir of spec.cgroupDirs ?? []) args.push('--cgroup', dir);
  if (iso) {
    args.push('--root', iso.rootDir);
    if (spec.workDir !== undefined) args.push('--uploads', spec.workDir);
    args.push('--work-size', String(iso.workSizeBytes), '--tmp-size', String(iso.tmpSizeBytes));
    for (const dir of iso.systemDirs) args.push('--ro-bind', dir);
    args.push('--uid', String(iso.uid), '--gid', String(iso.gid), '--seccomp', iso.seccomp, '--network', iso.network);
    if (opts.netnsFd !== undefined && iso.network === 'none') {
      if (spec.stateDir === undefined && opts.netnsFd === STATUS_FD) throw new Error(`launch ${spec.jobId}: fd ${STATUS_FD} cannot carry both the status lines and the network namespace`);
      args.push('--netns-fd', String(opts.netnsFd));
    }
  }
  // '--' ends the launcher's options, so a command named like an option is still the command
  return [...args, '--', spec.command, ...spec.args];
}

const positiveInt = /^[0-9]+$/;

/** Parses one status line (without its newline); throws on anything the launcher never writes. */
export function parseStatusLine(line: string): StatusLine {
  const space = line.indexOf(' ');
  const word = space < 0 ? line : line.slice(0, space);
  const rest = space < 0 ? '' : line.slice(space + 1);
  switch (word) {
    case 'error':
      if (rest !== '') return { kind: 'error', reason: rest };
      break;
    case 'started':
      if (positiveInt.test(rest) && Number(rest) > 0) return { kind: 'started', pid: Number(rest) };
      break;
    case 'exited':
      if (positiveInt.test(rest) && Number(rest) <= 255) return { kind: 'exited', code: Number(rest) };
      break;
    case 'killed':
      if (positiveInt.test(rest) && Number(rest) > 0 && Number(rest) < 128) return { kind: 'killed', signal: Number(rest) };
      break;
  }
  throw new Error(`launcher status line ${JSON.stringify(line)}: not one of started/error/exited/killed (is the launcher the same version as the daemon?)`);
}

/** 'SIGKILL' for 9; undefined for numbers the platform has no name for (real-time signals). */
export function signalName(signo: number): string | undefined {
  for (const [name, n] of Object.entries(constants.signals)) if (n === signo) return name;
  return undefined;
}

export function signalNumber(name: string): number | undefined {
  return (constants.signals as Record<string, number>)[name];
}

/** Splits a byte stream into lines; keeps a partial last line until its newline arrives. */
export class LineSplitter {
  private partial = '';

  push(chunk: string): string[] {
    const parts = (this.partial + chunk).split('\n');
    this.partial = parts.pop() ?? '';
    return parts;
  }

  /** what is left without a newline at EOF ('' if nothing) */
  rest(): string {
    return this.partial;
  }
}
