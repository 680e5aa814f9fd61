// One job = one joblet-launcher child process. Turns its status lines, output pipes and exit into
// observations in the promised order: started, output*, exited; or startFailed alone.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { KILL_CONTROL_SIGNAL, LineSplitter, launcherArgs, parseStatusLine, signalName, signalNumber, STATUS_FD, type StatusLine } from './launcherProtocol.js';
import type { LaunchSpec, Observation, StopSignal } from './types.js';

/** How long a launcher gets to act on the kill control signal before it is SIGKILLed itself. */
export const HARD_KILL_AFTER_MS = 2000;

export interface JobProcess {
  readonly jobId: string;
  signal(sig: StopSignal): boolean;
  /** graceMs > 0: SIGTERM first; then the kill signal; then SIGKILL of the launcher itself */
  terminate(graceMs: number): Promise<void>;
  /** resolves after the last observation of the job was emitted */
  readonly finished: Promise<void>;
}

export function spawnJob(launcherPath: string, spec: LaunchSpec, emit: (o: Observation) => void): JobProcess {
  const { jobId } = spec;
  let started = false;
  let failure: string | undefined;
  let last: StatusLine | undefined;
  let settled = false;
  const early: Observation[] = []; // output read before the status line said 'started'
  const timers: NodeJS.Timeout[] = [];
  let resolveFinished!: () => void;
  const finished = new Promise<void>((r) => { resolveFinished = r; });

  const settle = (o: Observation) => {
    if (settled) return;
    settled = true;
    timers.forEach(clearTimeout);
    emit(o);
    resolveFinished();
  };
  const startFailed = (reason: string) => settle({ type: 'startFailed', jobId, reason, at: Date.now() });

  let child: ChildProcess;
  try {
    child = spawn(launcherPath, launcherArgs(spec), { env: spec.env, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
  } catch (err) {
    // spawn throws synchronously on arguments it rejects (a NUL byte in an env value or argument)
    queueMicrotask(() => startFailed(`spawn ${launcherPath}: ${(err as Error).message}`));
    return { jobId, signal: () => false, terminate: () => finished, finished };
  }

  const onStatus = (line: string) => {
    let s: StatusLine;
    try { s = parseStatusLine(line); } catch (err) { failure ??= (err as Error).message; return; }
    if (s.kind === 'error') failure ??= s.reason;
    else if (s.kind === 'started' && !failure && !started) {
      started = true;
      emit({ type: 'started', jobId, pid: s.pid, at: Date.now() });
      early.splice(0).forEach(emit);
    } else if (s.kind === 'exited' || s.kind === 'killed') last = s;
  };
  const splitter = new LineSplitter();
  const status = child.stdio[STATUS_FD] as Readable;
  status.setEncoding('utf8');
  status.on('data', (chunk: string) => splitter.push(chunk).forEach(onStatus));
  status.on('end', () => { if (splitter.rest()) onStatus(splitter.rest()); });

  const onOutput = (stream: 'stdout' | 'stderr') => (data: Buffer) => {
    const o: Observation = { type: 'output', jobId, stream, data, at: Date.now() };
    if (started) emit(o);
    else if (!failure) early.push(o);
  };
  child.stdout!.on('data', onOutput('stdout'));
  child.stderr!.on('data', onOutput('stderr'));
  for (const s of [child.stdout!, child.stderr!, status]) s.on('error', () => { /* 'close' reports the end */ });

  // 'error' without a pid: the launcher itself could not be executed (not built, not executable)
  child.on('error', (err: NodeJS.ErrnoException) => {
    if (child.pid === undefined) startFailed(`spawn ${launcherPath}: ${err.code ?? err.message} (build it with npx node-gyp rebuild)`);
  });
  // 'close' comes after the launcher exited and all its pipes hit EOF: nothing can follow it
  child.on('close', (code: number | null, sig: NodeJS.Signals | null) => {
    if (failure !== undefined) return startFailed(failure);
    if (!started) return startFailed(sig ? `launcher killed by ${sig} before the job started` : `launcher exited with code ${code} before the job started`);
    settle({ type: 'exited', jobId, ...exitOf(last, code, sig), at: Date.now() });
  });

  const signal = (sig: StopSignal) => {
    if (settled || child.exitCode !== null || child.signalCode !== null) return false;
    return child.kill(sig === 'SIGKILL' ? KILL_CONTROL_SIGNAL : sig);
  };
  const after = (ms: number, f: () => void) => { if (!settled) timers.push(setTimeout(f, ms)); };
  const terminate = (graceMs: number) => {
    const kill = () => {
      signal('SIGKILL');
      after(HARD_KILL_AFTER_MS, () => child.kill('SIGKILL'));
    };
    if (graceMs > 0 && signal('SIGTERM')) after(graceMs, kill);
    else kill();
    return finished;
  };
  return { jobId, signal, terminate, finished };
}

/**
 * The job's end as the launcher saw it; when the launcher was killed before its last line, the
 * launcher's own end stands for the job's (its death took the whole namespace down).
 */
function exitOf(last: StatusLine | undefined, code: number | null, sig: NodeJS.Signals | null): { exitCode: number; signal?: string } {
  if (last?.kind === 'exited') return { exitCode: last.code };
  if (last?.kind === 'killed') {
    const name = signalName(last.signal);
    return name ? { exitCode: 128 + last.signal, signal: name } : { exitCode: 128 + last.signal };
  }
  if (sig) return { exitCode: 128 + (signalNumber(sig) ?? 0), signal: sig };
  return { exitCode: code ?? 255 };
}
