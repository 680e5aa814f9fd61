// Reading and writing cgroup interface files. Every function takes the cgroup dir as a parameter
// (DESIGN.md: "cgroup writers take their directory as a parameter"), so the same code runs against
// the real hierarchy and against temp-dir fixtures made of plain files.
// The I/O is synchronous: cgroupfs lives in kernel memory and never waits for a disk, so a sync
// read or write costs a few microseconds, where the promise API spends four thread-pool round
// trips (open, fstat, read, close) and their callbacks on the daemon's thread for each file.
// The functions stay async-shaped so callers need not care.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function errno(err: unknown): string {
  return (err as NodeJS.ErrnoException)?.code ?? String(err);
}

/** The fix for the errno a cgroup write gives most often, so the message says what to do. */
function hint(code: string, file: string): string {
  if (code === 'EINVAL') return 'value rejected by the kernel: check its format for this file';
  if (code === 'ENOSPC' && file.endsWith('cgroup.procs')) return 'cpuset.cpus or cpuset.mems is empty in this cgroup';
  if (code === 'ENODEV') return 'no such block device';
  if (code === 'EACCES' || code === 'ENOENT') return 'the file is missing: is the controller enabled for this cgroup?';
  if (code === 'EBUSY') return 'the cgroup still has processes or children';
  if (code === 'EOPNOTSUPP') return 'not supported by this kernel or cgroup type';
  return 'see the cgroup docs for this file';
}

export class CgroupError extends Error {
  constructor(readonly op: string, readonly path: string, readonly code: string, detail?: string) {
    super(`${op} ${path}: ${code} (${detail ?? hint(code, path)})`);
  }
}

/** One write(2) of `value`: cgroup files take one value per write (io.max: one device per write). */
export async function writeCgroupFile(dir: string, file: string, value: string): Promise<void> {
  const path = join(dir, file);
  try {
    writeFileSync(path, value);
  } catch (err) {
    throw new CgroupError('write', path, errno(err), errno(err) === 'EINVAL' ? `value ${JSON.stringify(value)} rejected` : undefined);
  }
}

/** The file's text, or undefined when it does not exist (a controller that is absent). */
export async function readCgroupFile(dir: string, file: string): Promise<string | undefined> {
  return readCgroupFileSync(dir, file);
}

export function readCgroupFileSync(dir: string, file: string): string | undefined {
  try {
    return readFileSync(join(dir, file), 'utf8');
  } catch (err) {
    if (errno(err) === 'ENOENT' || errno(err) === 'ENODEV') return undefined;
    throw new CgroupError('read', join(dir, file), errno(err));
  }
}

export const hasFile = (dir: string, file: string) => existsSync(join(dir, file));

/** A single-number file; 'max' and absent files read as `fallback`. */
export async function readNumber(dir: string, file: string, fallback = 0): Promise<number> {
  const text = (await readCgroupFile(dir, file))?.trim();
  if (text === undefined || text === '' || text === 'max') return fallback;
  const n = Number(text);
  return Number.isFinite(n) ? n : fallback;
}

/** Flat keyed files ("key value" per line): cpu.stat, memory.events, memory.oom_control, pids.events. */
export function parseFlatKeyed(text: string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of (text ?? '').split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && Number.isFinite(Number(value))) out.set(key, Number(value));
  }
  return out;
}

/** The pids of cgroup.procs (one per line), in the reader's pid namespace. */
export async function readProcs(dir: string): Promise<number[]> {
  const text = await readCgroupFile(dir, 'cgroup.procs');
  return (text ?? '').split('\n').filter((l) => l.trim() !== '').map(Number).filter((n) => Number.isInteger(n) && n > 0);
}
