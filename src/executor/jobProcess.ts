// One job = one joblet-launcher process, its supervisor. The spawner (spawner.ts) starts it in its
// own session, nothing tying its life to ours, so a daemon that dies or restarts leaves the job
// running; what the job prints and how it ends reach us through the supervisor's files
// (jobTail.ts), never through pipes that would die with us.
import { KILL_CONTROL_SIGNAL, launcherArgs, signalNumber } from './launcherProtocol.js';
import { tailJob, type JobTail, type SupervisorHandle } from './jobTail.js';
import { supervisorAlive, type SupervisorId } from './supervisorFiles.js';
import { SPOOL_START } from './spool.js';
import { HOLD_FD, NETNS_FD, type Spawner } from './spawner.js';
import { SpoolWatch } from './spoolWatch.js';
import type { LaunchSpec, Observation, StopSignal } from './types.js';

/** How long a launcher gets to act on the kill control signal before it is SIGKILLed itself. */
export const HARD_KILL_AFTER_MS = 2000;

export interface JobProcess {
  readonly jobId: string;
  signal(sig: StopSignal): boolean;
  /** graceMs > 0: SIGTERM first; then the kill signal; then SIGKILL of the supervisor itself */
  terminate(graceMs: number): Promise<void>;
  /** stops watching the job; it keeps running under its supervisor */
  detach(): void;
  /** a held launch: run the job (go) or give it up; nothing for any other */
  release(go: boolean): void;
  /** resolves after the last observation of the job was emitted */
  readonly finished: Promise<void>;
}

type Emit = (o: Observation) => Promise<void>;

export function spawnJob(spawner: Spawner, launcherPath: string, spec: LaunchSpec & { stateDir: string }, emit: Emit): JobProcess {
  const { jobId } = spec;
  // its stdout is unused (the job's output goes to the spool); its stderr carries the launcher's
  // own errors from before its state dir was open, the only ones its status file cannot hold
  // network=none: a namespace the spawner made while idle, so its creation is off the launch
  const ownNetns = spec.isolation?.network === 'none';
  const held = spec.held === true;
  const sup = spawner.spawn([launcherPath, ...launcherArgs(spec, { ...(ownNetns ? { netnsFd: NETNS_FD } : {}), ...(held ? { holdFd: HOLD_FD } : {}) })], spec.env, { ownNetns, held });
  const spoolWatch = spec.spoolFile === undefined ? undefined : new SpoolWatch(spec.spoolFile, true);
  const handle: SupervisorHandle = {
    alive: () => sup.alive(),
    vanished(jobStarted): Observation {
      const at = Date.now();
      const end = sup.end ?? { code: null, signal: null, stderr: '' };
      if (end.spawnError) return { type: 'startFailed', jobId, reason: end.spawnError, at };
      const said = end.stderr.trim().split('\n').find((l) => l.startsWith('error '));
      const { code, signal: sig } = end;
      if (!jobStarted) {
        if (said) return { type: 'startFailed', jobId, reason: said.slice('error '.length), at };
        return { type: 'startFailed', jobId, reason: sig ? `launcher killed by ${sig} before the job started` : `launcher exited with code ${code} before the job started`, at };
      }
      // killed before its last line: its death took the whole pid namespace down (init's PDEATHSIG)
      if (sig) return { type: 'exited', jobId, exitCode: 128 + (signalNumber(sig) ?? 0), signal: sig, at };
      return { type: 'lost', jobId, reason: `supervisor exited with code ${code} without the job's status`, at };
    },
    onWake: (wake) => sup.onEnd(wake),
  };
  const tail = tailJob({ jobId, stateDir: spec.stateDir, from: SPOOL_START, startedKnown: false, handle: spoolWatch?.around(handle) ?? handle, emit });
  if (spoolWatch) void tail.finished.then(() => spoolWatch.close());
  // The supervisor reports the job's end before it has reaped init (native/launcher.c step 5):
  // `finished` also waits for the supervisor's own exit, so nothing of ours runs once it resolves
  // (bounded: a spawner gone with the daemon never reports it).
  const supervisorGone = () => new Promise<void>((resolve) => {
    const t = setTimeout(resolve, HARD_KILL_AFTER_MS);
    t.unref();
    sup.onEnd(() => { clearTimeout(t); resolve(); });
  });
  return control(jobId, tail, { kill: (sig) => sup.kill(sig), detach: () => spoolWatch?.close(), release: (go) => { if (held) sup.release(go); } }, supervisorGone);
}

/** Re-attaches to a supervisor an earlier daemon spawned (the caller checked its files). */
export function adoptJob(id: SupervisorId | undefined, opts: { jobId: string; stateDir: string; spoolFile?: string; from: number; started: boolean }, emit: Emit): JobProcess {
  const { jobId } = opts;
  const alive = () => id !== undefined && supervisorAlive(id);
  const spoolWatch = opts.spoolFile === undefined ? undefined : new SpoolWatch(opts.spoolFile);
  const handle: SupervisorHandle = {
    alive,
    vanished: () => ({
      type: 'lost', jobId, at: Date.now(),
      reason: id === undefined
        ? `lost: no supervisor files in ${opts.stateDir} (the job ran under a daemon without re-attach, they were removed, or the host restarted and emptied the tmpfs they were on)`
        : `lost: the job's supervisor (pid ${id.pid}) is gone and left no exit status (killed, or the host restarted)`,
    }),
  };
  const tail = tailJob({ jobId, stateDir: opts.stateDir, from: opts.from, startedKnown: opts.started, handle: spoolWatch?.around(handle) ?? handle, emit });
  if (spoolWatch) void tail.finished.then(() => spoolWatch.close());
  return control(jobId, tail, {
    // the start time check right before kill(2) narrows pid reuse to that gap (no pidfd in Node)
    kill: (sig) => {
      if (!alive()) return false;
      try { process.kill(id!.pid, sig); return true; } catch { return false; }
    },
    detach: () => spoolWatch?.close(),
  });
}

/** signal / terminate / detach over a supervisor, whoever spawned it. */
function control(jobId: string, tail: JobTail, sup: { kill(sig: NodeJS.Signals): boolean; detach(): void; release?(go: boolean): void },
  supervisorGone?: () => Promise<void>): JobProcess {
  const timers: NodeJS.Timeout[] = [];
  const finished = supervisorGone ? tail.finished.then(supervisorGone) : tail.finished;
  void tail.finished.then(() => timers.forEach(clearTimeout));
  const signal = (sig: StopSignal) => !tail.done && sup.kill(sig === 'SIGKILL' ? KILL_CONTROL_SIGNAL : sig);
  const after = (ms: number, f: () => void) => { if (!tail.done) timers.push(setTimeout(f, ms)); };
  return {
    jobId,
    signal,
    terminate(graceMs: number) {
      const kill = () => {
        signal('SIGKILL');
        after(HARD_KILL_AFTER_MS, () => { sup.kill('SIGKILL'); tail.wake(); });
      };
      if (graceMs > 0 && signal('SIGTERM')) after(graceMs, kill);
      else kill();
      return finished;
    },
    detach() {
      timers.forEach(clearTimeout);
      tail.detach();
      sup.detach();
    },
    release: (go) => sup.release?.(go),
    finished,
  };
}
