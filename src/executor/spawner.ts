// The daemon's side of joblet-spawner (native/spawner.c, docs/decisions/0014): one small C process,
// started once, forks and execs every job's supervisor. child_process.spawn would fork the whole
// daemon on its main thread for each job, at a cost that grows with the daemon's memory; here a
// launch is one write to a socket. The supervisors run in their own sessions and outlive the
// spawner and the daemon, exactly as detached spawns did.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { defaultLauncherPath } from './launcherPath.js';
import { LineSplitter, signalName } from './launcherProtocol.js';
import { supervisorAlive, type SupervisorId } from './supervisorFiles.js';

/** The fd where a child spawned with `ownNetns` finds its network namespace (native/spawner.c). */
export const NETNS_FD = 3;
/** The fd where a child spawned with `held` finds its hold pipe (native/spawner.c). */
export const HOLD_FD = 4;

/** How a supervisor ended, as far as its parent could see. */
export interface SupervisorEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** its own stderr (the launcher's errors from before its state dir was open), at most 4 KiB */
  stderr: string;
  /** it could not be executed at all: `spawn <path>: <ERRNO> (...)` */
  spawnError?: string;
}

/** One supervisor process started through the spawner. */
export interface Supervisor {
  /** set once it ended; undefined while it runs (or while its fork is still being asked for) */
  readonly end: SupervisorEnd | undefined;
  /** false once it ended; checks the process itself when the spawner that was its parent died */
  alive(): boolean;
  kill(sig: NodeJS.Signals): boolean;
  /** For one spawned `held`: go (one byte on its hold pipe) or give up (the pipe closes empty). Once. */
  release(go: boolean): void;
  /** called once, when `end` is set */
  onEnd(listener: () => void): void;
}

const BUILD_HINT = 'build it with npx node-gyp rebuild';

export function defaultSpawnerPath(): string {
  return join(dirname(defaultLauncherPath()), 'joblet-spawner');
}

interface Entry {
  path: string;
  end?: SupervisorEnd;
  pid?: number;
  /** set when the spawner died while this supervisor ran: it is watched by pid + start time */
  orphan?: SupervisorId;
  /** a release asked for before the spawner said which pid the child got */
  release?: boolean;
  listeners: (() => void)[];
}

export class Spawner {
  private child: ChildProcess | undefined;
  private readonly waiting: Entry[] = [];  // asked for, no `spawned` line yet (in request order)
  private readonly byPid = new Map<number, Entry>();
  private closed = false;

  /**
   * cpuCgroup: a cgroup dir to move the spawner into as it starts (CgroupDriver.supervisorsCgroup),
   * before it is asked for anything, so every supervisor it forks starts there.
   */
  constructor(private readonly path: string = defaultSpawnerPath(), private readonly opts: { cpuCgroup?: string } = {}) {}

  /**
   * Starts `argv[0]` with `argv` and exactly `env`, in its own session, stdin and stdout on
   * /dev/null. ownNetns: it also gets a fresh network namespace (lo up) as fd NETNS_FD, one the
   * spawner made ahead of time and gives to no one else. held: it also gets a pipe as fd
   * HOLD_FD, and the launcher waits on it before the job runs, until release().
   */
  spawn(argv: string[], env: Record<string, string>, opts: { ownNetns?: boolean; held?: boolean } = {}): Supervisor {
    const entry: Entry = { path: argv[0], listeners: [] };
    const sup: Supervisor = {
      get end() { return entry.end; },
      alive: () => {
        if (entry.orphan && !entry.end && !supervisorAlive(entry.orphan)) this.ended(entry, { code: null, signal: null, stderr: '' });
        return !entry.end;
      },
      kill: (sig) => this.kill(entry, sig),
      release: (go) => this.release(entry, go),
      onEnd: (l) => { if (entry.end) l(); else entry.listeners.push(l); },
    };
    const envList = Object.entries(env).map(([k, v]) => `${k}=${v}`);
    const strings = [...argv, ...envList];
    if (strings.some((s) => s.includes('\0'))) {
      // the C side splits on NUL: refuse here, as child_process.spawn does
      this.ended(entry, { code: null, signal: null, stderr: '', spawnError: `spawn ${argv[0]}: an argument or environment value contains a NUL byte` });
      return sup;
    }
    const proc = this.closed ? undefined : this.ensure();
    if (!proc) {
      this.ended(entry, { code: null, signal: null, stderr: '', spawnError: `spawn ${argv[0]}: the executor is closed` });
      return sup;
    }
    const body = Buffer.from(strings.join('\0') + '\0');
    const frame = Buffer.allocUnsafe(13 + body.length);
    frame.writeUInt32LE(9 + body.length, 0);
    frame.write(opts.held ? (opts.ownNetns ? 'M' : 'H') : (opts.ownNetns ? 'N' : 'S'), 4, 'latin1');
    frame.writeUInt32LE(argv.length, 5);
    frame.writeUInt32LE(envList.length, 9);
    body.copy(frame, 13);
    this.waiting.push(entry);
    this.holdLoop();
    (proc.stdin as Writable).write(frame);
    return sup;
  }

  /** The spawner process's pid while one runs (tests kill it to see its children outlive it). */
  get pid(): number | undefined { return this.child?.pid; }

  /** Stops the spawner (EOF on its stdin); the supervisors it started keep running. */
  close(): void {
    this.closed = true;
    this.child?.stdin?.end();
    (this.child?.stdout as (Readable & { unref(): void }) | undefined)?.unref();
  }

  private release(entry: Entry, go: boolean): void {
    if (entry.end || !this.child?.stdin) return;
    if (entry.pid === undefined) { entry.release ??= go; return; }  // sent once 'spawned' names it
    const frame = Buffer.allocUnsafe(9);
    frame.writeUInt32LE(5, 0);
    frame.write(go ? 'G' : 'D', 4, 'latin1');
    frame.writeUInt32LE(entry.pid, 5);
    this.child.stdin.write(frame);
  }

  private kill(entry: Entry, sig: NodeJS.Signals): boolean {
    if (entry.end) return false;
    const signo = constants.signals[sig];
    if (entry.orphan) {
      // no parent of ours any more: the start time check right before kill(2) narrows pid reuse to that gap
      if (!supervisorAlive(entry.orphan)) return false;
      try { process.kill(entry.orphan.pid, sig); return true; } catch { return false; }
    }
    if (entry.pid === undefined || !this.child?.stdin) return false;
    const frame = Buffer.allocUnsafe(13);
    frame.writeUInt32LE(9, 0);
    frame.write('K', 4, 'latin1');
    frame.writeUInt32LE(entry.pid, 5);
    frame.writeUInt32LE(signo, 9);
    this.child.stdin.write(frame);
    return true;
  }

  private ensure(): ChildProcess | undefined {
    if (this.child) return this.child;
    const child = spawn(this.path, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child = child;
    if (this.opts.cpuCgroup && child.pid !== undefined) {
      // best effort: where the write fails the supervisors only share the daemon's CPU group
      try { writeFileSync(join(this.opts.cpuCgroup, 'cgroup.procs'), String(child.pid)); } catch { /* see above */ }
    }
    const lines = new LineSplitter();
    (child.stdout as Readable).setEncoding('latin1');
    (child.stdout as Readable).on('data', (s: string) => { for (const l of lines.push(s)) this.onLine(l); });
    child.stdin!.on('error', () => undefined);  // EPIPE after it died: 'exit' below handles that
    child.on('error', (err: NodeJS.ErrnoException) => this.lost(child, `spawn ${this.path}: ${err.code ?? err.message} (${BUILD_HINT})`));
    child.on('exit', (code, sig) => this.lost(child, `joblet-spawner exited (${sig ?? `code ${code}`}) before it started the supervisor`));
    // the spawner itself never keeps the process alive; its stdout does while we wait to hear
    // about a child (holdLoop), so an executor nobody closes does not hang its process's exit
    child.unref();
    (child.stdin as Writable & { unref?: () => void }).unref?.();
    this.holding = true;
    this.holdLoop();
    return child;
  }

  private holding = false;
  /** The event loop stays alive while a child's spawn or end is still to be heard. */
  private holdLoop(): void {
    const want = this.waiting.length + this.byPid.size > 0;
    if (want === this.holding) return;
    this.holding = want;
    const out = this.child?.stdout as (Readable & { ref(): void; unref(): void }) | undefined;
    if (want) out?.ref();
    else out?.unref();
  }

  private onLine(line: string): void {
    const [word, ...f] = line.split(' ');
    if (word === 'spawned' || word === 'refused') {
      const entry = this.waiting.shift();
      if (!entry) return;
      if (word === 'spawned') {
        entry.pid = Number(f[0]);
        this.byPid.set(entry.pid, entry);
        if (entry.release !== undefined) this.release(entry, entry.release);
      } else {
        this.holdLoop();
        this.ended(entry, { code: null, signal: null, stderr: '', spawnError: `spawn: fork: ${errnoName(Number(f[0]))} (too many processes or too little memory?)` });
      }
    } else if (word === 'exit') {
      const pid = Number(f[0]);
      const entry = this.byPid.get(pid);
      if (!entry) return;
      this.byPid.delete(pid);
      this.holdLoop();
      const code = Number(f[1]);
      const signo = Number(f[2]);
      const execErr = Number(f[3]);
      const stderr = f[4] === '-' || f[4] === undefined ? '' : Buffer.from(f[4], 'hex').toString('utf8');
      this.ended(entry, {
        code: code >= 0 ? code : null,
        signal: signo > 0 ? (signalName(signo) ?? 'SIGKILL') as NodeJS.Signals : null,
        stderr,
        ...(execErr > 0 ? { spawnError: `spawn ${entry.path}: ${errnoName(execErr)} (${BUILD_HINT})` } : {}),
      });
    }
  }

  private ended(entry: Entry, end: SupervisorEnd): void {
    if (entry.end) return;
    entry.end = end;
    for (const l of entry.listeners.splice(0)) l();
  }

  /**
   * The spawner died (or never ran). Supervisors not yet asked for fail; running ones were
   * reparented and keep running: from now on they are watched by pid + start time.
   */
  private lost(child: ChildProcess, reason: string): void {
    if (this.child !== child) return;
    this.child = undefined;
    for (const entry of this.waiting.splice(0)) this.ended(entry, { code: null, signal: null, stderr: '', spawnError: reason });
    this.holding = false;
    for (const [pid, entry] of this.byPid) {
      const startTime = procStartTime(pid);
      if (startTime === undefined) this.ended(entry, { code: null, signal: null, stderr: '' });
      else entry.orphan = { pid, startTime };
    }
    this.byPid.clear();
  }
}

function errnoName(n: number): string {
  for (const [name, v] of Object.entries(constants.errno)) if (v === n) return name;
  return `errno ${n}`;
}

function procStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[22 - 3]);
  } catch {
    return undefined;
  }
}
