// What the persist child does before it takes any event: bring the files back to exactly what
// the checkpoint describes. Running jobs' files are cut to their checkpointed lengths (a record
// half-written when the child was killed, or written after the checkpoint, goes; the log sends
// it again), a compression or job dir that is not covered by the checkpoint is undone, and the
// removals the checkpoint announced are carried out. Jobs finished at or before the checkpoint
// are kept as they are and listed for history and retention.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { EMPTY_CHECKPOINT, readCheckpoint, writeCheckpoint, type PersistCheckpoint } from './persistCheckpoint.js';
import { CHECKPOINT_FILE, DONE_FILE, isSafeJobId, METRICS_FILE, OUTPUT_GZ, OUTPUT_LOG } from './persistLayout.js';

export interface DoneInfo { jobId: string; finishedPosition: number; endedAt: number; status: string; exitCode: number; logBytes: number; gzBytes: number; metricsBytes: number }
export interface ClosedJob { endedAt: number; bytes: number; finishedPosition: number }

export interface Recovered {
  position: number;
  open: Map<string, { log: number; metrics: number }>;
  closed: Map<string, ClosedJob>;
  warnings: string[];
}

export function recover(dir: string): Recovered {
  mkdirSync(dir, { recursive: true, mode: 0o750 });
  let cp = readCheckpoint(dir);
  const entries = () => readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory() && isSafeJobId(e.name));
  if (!cp) {
    // Without a checkpoint nothing says which bytes in a job dir are complete; refusing beats
    // guessing, because the log may no longer hold output that was compacted after persisting.
    const jobs = entries().filter((e) => [OUTPUT_LOG, OUTPUT_GZ, METRICS_FILE, DONE_FILE].some((f) => existsSync(join(dir, e.name, f))));
    if (jobs.length > 0) throw new Error(`persist dir ${dir}: ${CHECKPOINT_FILE} is missing but ${jobs.length} job dirs exist; move the logs dir aside to rebuild it from the event log`);
    cp = EMPTY_CHECKPOINT;
    writeCheckpoint(dir, cp);
  }
  carryOutRemovals(dir, cp);
  const warnings: string[] = [];
  const open = new Map<string, { log: number; metrics: number }>();
  const closed = new Map<string, ClosedJob>();
  for (const e of entries()) {
    const jobDir = join(dir, e.name);
    const want = Object.hasOwn(cp.open, e.name) ? cp.open[e.name] : undefined;
    if (want) {
      // The job was running at the checkpoint: an end written after it is undone.
      for (const f of [OUTPUT_GZ, `${OUTPUT_GZ}.tmp`, DONE_FILE, `${DONE_FILE}.tmp`]) unlinkQuietly(join(jobDir, f));
      cutTo(join(jobDir, OUTPUT_LOG), want.log, warnings);
      cutTo(join(jobDir, METRICS_FILE), want.metrics, warnings);
      open.set(e.name, { log: want.log, metrics: want.metrics });
      continue;
    }
    const done = readDone(jobDir);
    if (done && done.finishedPosition <= cp.position) {
      // Finished and compressed before the checkpoint; a raw log left over is a removal cut short.
      for (const f of [OUTPUT_LOG, `${OUTPUT_GZ}.tmp`, `${DONE_FILE}.tmp`]) unlinkQuietly(join(jobDir, f));
      closed.set(e.name, { endedAt: done.endedAt, finishedPosition: done.finishedPosition, bytes: dirBytes(jobDir) });
    } else {
      // Everything in it came after the checkpoint: the log sends it again.
      rmSync(jobDir, { recursive: true, force: true });
    }
  }
  for (const jobId of Object.keys(cp.open)) {
    if (!open.has(jobId)) warnings.push(`persist: job ${jobId} was running at the checkpoint but its dir is gone; its earlier output is lost from the files`);
  }
  return { position: cp.position, open, closed, warnings };
}

export function carryOutRemovals(dir: string, cp: Pick<PersistCheckpoint, 'removeDirs' | 'removeRaw'>): void {
  for (const jobId of cp.removeDirs) if (isSafeJobId(jobId)) removeJobDir(dir, jobId);
  for (const jobId of cp.removeRaw) if (isSafeJobId(jobId)) unlinkQuietly(join(dir, jobId, OUTPUT_LOG));
}

/** done.json goes first, so a removal cut short leaves a dir that recovery removes, not a half job. */
export function removeJobDir(dir: string, jobId: string): void {
  unlinkQuietly(join(dir, jobId, DONE_FILE));
  rmSync(join(dir, jobId), { recursive: true, force: true });
}

export function readDone(jobDir: string): DoneInfo | undefined {
  try {
    return JSON.parse(readFileSync(join(jobDir, DONE_FILE), 'utf8')) as DoneInfo;
  } catch {
    return undefined;  // absent, or torn by a crash before its rename: the job is not finished here
  }
}

export function dirBytes(jobDir: string): number {
  let total = 0;
  for (const f of readdirSync(jobDir)) {
    try { total += statSync(join(jobDir, f)).size; } catch { /* removed meanwhile */ }
  }
  return total;
}

function cutTo(file: string, length: number, warnings: string[]): void {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    if (length > 0) warnings.push(`persist: ${file} should hold ${length} bytes but is missing`);
    return;
  }
  if (size < length) warnings.push(`persist: ${file} holds ${size} bytes, the checkpoint says ${length}`);
  else if (size > length) truncateSync(file, length);
}

function unlinkQuietly(file: string): void {
  try { unlinkSync(file); } catch { /* not there */ }
}
