// Shared by the isolation tests: runs one real job through createNativeExecutor() with full
// isolation (DEFAULT_ISOLATION unless overridden) and returns what it printed and how it ended.
import type { Test } from 'uvu';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createNativeExecutor } from '../../../src/executor/nativeExecutor.js';
import { defaultLauncherPath } from '../../../src/executor/launcherPath.js';
import { DEFAULT_ISOLATION, type Executor, type JobIsolation, type Observation } from '../../../src/executor/types.js';

export interface JobResult {
  stdout: string;
  stderr: string;
  /** undefined when the job never started (then startFailed says why) */
  exitCode?: number;
  signal?: string;
  startFailed?: string;
  /** the job's host pid */
  pid?: number;
  /** host dirs of this job, left in place until closeExecutor only with keepDirs */
  rootDir: string;
  uploadsDir: string;
}

/** an upload: text, a file copied from the host with its mode, or a symlink (to test refusal) */
export type Upload = string | { from: string } | { symlink: string };

export interface RunOptions {
  isolation?: Partial<JobIsolation>;
  cgroupDirs?: string[];
  hostname?: string;
  env?: Record<string, string>;
  uploads?: Record<string, Upload>;
  /** called once the job runs, with its host pid and host dirs */
  onStarted?: (pid: number, dirs: { rootDir: string; uploadsDir: string }) => void | Promise<void>;
  keepDirs?: boolean;
  timeoutMs?: number;
  /** LaunchSpec.maxOutputBytes: the output cap */
  maxOutputBytes?: number;
}

export const isRoot = process.getuid?.() === 0;
export const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

let executor: Executor | undefined;
const listeners = new Map<string, (o: Observation) => void>();
let seq = 0;
const kept: string[] = []; // removed by closeExecutor, after the tests looked at them

function ex(): Executor {
  if (!executor) {
    executor = createNativeExecutor();
    executor.onObservation((o) => listeners.get(o.jobId)?.(o));
  }
  return executor;
}

export async function runJob(command: string, args: string[], opts: RunOptions = {}): Promise<JobResult> {
  const base = mkdtempSync(join(tmpdir(), 'joblet-iso-'));
  const rootDir = join(base, 'root');
  const uploadsDir = join(base, 'work');
  mkdirSync(rootDir);
  mkdirSync(uploadsDir);
  for (const [name, up] of Object.entries(opts.uploads ?? {})) {
    const dst = join(uploadsDir, name);
    mkdirSync(dirname(dst), { recursive: true });
    if (typeof up === 'string') writeFileSync(dst, up);
    else if ('symlink' in up) symlinkSync(up.symlink, dst);
    else {
      copyFileSync(up.from, dst);
      chmodSync(dst, statSync(up.from).mode & 0o777);
    }
  }
  const jobId = `iso-${process.pid}-${++seq}`;
  const res: JobResult = { stdout: '', stderr: '', rootDir, uploadsDir };
  const out: Record<'stdout' | 'stderr', Buffer[]> = { stdout: [], stderr: [] };
  let started: Promise<void> = Promise.resolve();
  const done = new Promise<void>((resolveDone) => {
    listeners.set(jobId, (o) => {
      if (o.type === 'started') { res.pid = o.pid; started = Promise.resolve(opts.onStarted?.(o.pid, { rootDir, uploadsDir })); }
      if (o.type === 'output') out[o.stream].push(o.data);
      if (o.type === 'exited') { res.exitCode = o.exitCode; res.signal = o.signal; }
      if (o.type === 'startFailed') res.startFailed = o.reason;
      if (o.type === 'exited' || o.type === 'startFailed') { listeners.delete(jobId); resolveDone(); }
    });
  });
  const isolation: JobIsolation = { ...DEFAULT_ISOLATION, workSizeBytes: 16 << 20, tmpSizeBytes: 16 << 20, rootDir, ...opts.isolation };
  ex().launch({ jobId, command, args, env: opts.env ?? { PATH }, workDir: uploadsDir, hostname: opts.hostname, isolation, cgroupDirs: opts.cgroupDirs, ...(opts.maxOutputBytes !== undefined ? { maxOutputBytes: opts.maxOutputBytes } : {}) });
  const timeoutMs = opts.timeoutMs ?? 20_000;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => { void ex().stop(jobId, 0); reject(new Error(`job ${command} ${args.join(' ')}: not done after ${timeoutMs} ms`)); }, timeoutMs);
  });
  try { await Promise.race([done.then(() => started), timeout]); } finally { clearTimeout(timer); }
  res.stdout = Buffer.concat(out.stdout).toString();
  res.stderr = Buffer.concat(out.stderr).toString();
  if (opts.keepDirs) kept.push(base);
  else rmSync(base, { recursive: true, force: true });
  return res;
}

export const sh = (script: string, opts?: RunOptions) => runJob('/bin/sh', ['-c', script], opts);

/** Stops the shared executor (and any job left running) so the test process can exit, and removes the dirs left behind. */
export async function closeExecutor(): Promise<void> {
  await executor?.close({ stopJobs: true });
  for (const dir of kept.splice(0)) rmSync(dir, { recursive: true, force: true });
  if (probePath) rmSync(dirname(probePath), { recursive: true, force: true });
}

/** The package root, found from where node-gyp puts the launcher (build/Release/...). */
export const packageRoot = resolve(dirname(defaultLauncherPath()), '..', '..');

let probePath: string | undefined;
/** test/integration/isolation/probe.c compiled with the host's cc, once per test process. */
export function probeBinary(): string {
  if (probePath) return probePath;
  const src = join(packageRoot, 'test', 'integration', 'isolation', 'probe.c');
  const out = join(mkdtempSync(join(tmpdir(), 'joblet-probe-')), 'probe');
  execFileSync('cc', ['-O1', '-pthread', '-o', out, src], { stdio: 'inherit' });
  probePath = out;
  return out;
}

/** Runs the probe inside a job and returns { name: 'OK' | 'EPERM' | ... }. */
export async function probe(names: string[], opts: RunOptions = {}): Promise<Record<string, string>> {
  const r = await runJob('./probe', names, { ...opts, uploads: { ...opts.uploads, probe: { from: probeBinary() } } });
  if (r.startFailed || r.exitCode !== 0) throw new Error(`probe: ${r.startFailed ?? `exit ${r.exitCode}: ${r.stderr}`}`);
  return Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split('=') as [string, string]));
}

/** A test that needs root says why it skipped instead of passing silently (uvu prints no names). */
export function rootTest(t: Test, name: string, fn: () => Promise<void>): void {
  if (isRoot) return t(name, fn);
  console.log(`skip: ${name} (needs root: namespaces and mounts)`);
  t.skip(name);
}

/** true if the dir holds nothing (the job's mounts never reached the host) */
export const isEmptyDir = (dir: string) => existsSync(dir) && readdirSync(dir).length === 0;
