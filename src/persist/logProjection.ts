// The persist child's projection: applies the events the daemon feeds it to the per-job files and
// moves the checkpoint. Appends are plain write(2)s; a checkpoint first fsyncs every file written
// since the last one (and the dirs that gained entries), then writes the checkpoint (persistCheckpoint.ts), then
// carries out the removals it announced. A job's end compresses its output log and writes
// done.json; the raw log is removed only after a checkpoint no longer needs it.
import { closeSync, createReadStream, createWriteStream, fstatSync, fsyncSync, mkdirSync, openSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip, gzipSync } from 'node:zlib';
import { encodeRecordHeader } from './logRecord.js';
import { fsyncDir, writeAll, writeCheckpoint, writeFileDurably } from './persistCheckpoint.js';
import { DONE_FILE, isSafeJobId, METRICS_FILE, OUTPUT_GZ, OUTPUT_LOG } from './persistLayout.js';
import { carryOutRemovals, removeJobDir, type ClosedJob, type DoneInfo, type Recovered } from './persistRecovery.js';
import type { FeedEvent } from './persistProtocol.js';
import { chooseForRemoval, type RetentionSettings } from './retention.js';

interface OpenJob { logFd?: number; metricsFd?: number; log: number; metrics: number }

// Level 1: logs still shrink several times, and a 1 GiB log compresses in seconds, not tens of
// seconds, so the checkpoint (which waits for it) does not fall far behind.
const GZIP_LEVEL = 1;
/** What the pipeline below writes for a job with no output, made once: most short jobs print nothing. */
const EMPTY_GZ = gzipSync(Buffer.alloc(0), { level: GZIP_LEVEL });

export class LogProjection {
  /** Last position applied to the files (not yet necessarily durable). */
  applied: number;
  /** Last position durably in the files (the checkpoint). */
  durable: number;
  readonly open = new Map<string, OpenJob>();
  readonly closed: Map<string, ClosedJob>;
  private readonly dirty = new Set<number>();
  private readonly dirsToSync = new Set<string>();
  private removeDirs: string[] = [];
  private removeRaw: string[] = [];
  /** Bytes appended since the last checkpoint (the child checkpoints early past a threshold). */
  unsyncedBytes = 0;

  constructor(private readonly dir: string, recovered: Recovered, private readonly onWarn: (m: string) => void) {
    this.applied = this.durable = recovered.position;
    this.closed = recovered.closed;
    for (const [jobId, len] of recovered.open) this.open.set(jobId, { ...len });
  }

  jobDir(jobId: string): string { return join(this.dir, jobId); }

  async apply(events: FeedEvent[], upTo: number): Promise<void> {
    for (const e of events) {
      if (e.p <= this.applied) continue;  // already in the files (a resend after a rewind)
      if (!isSafeJobId(e.jobId)) { this.onWarn(`persist: job id ${JSON.stringify(e.jobId)} is not a file name; its output is not persisted`); continue; }
      switch (e.k) {
        case 'out': this.appendOutput(e); break;
        case 'metrics': this.appendMetrics(e); break;
        case 'finished': await this.finish(e); break;
        case 'deleted': this.delete(e.jobId); break;
      }
      this.applied = e.p;
    }
    this.applied = Math.max(this.applied, upTo);
  }

  private openJob(jobId: string): OpenJob | undefined {
    let job = this.open.get(jobId);
    if (job) return job;
    if (this.closed.has(jobId)) return undefined;  // the log refuses output after an end; never reopen one
    mkdirSync(this.jobDir(jobId), { recursive: true, mode: 0o750 });
    this.dirsToSync.add(this.dir);
    job = { log: 0, metrics: 0 };
    this.open.set(jobId, job);
    return job;
  }

  private fd(jobId: string, job: OpenJob, which: 'log' | 'metrics'): number {
    const key = which === 'log' ? 'logFd' : 'metricsFd';
    if (job[key] === undefined) {
      const fd = openSync(join(this.jobDir(jobId), which === 'log' ? OUTPUT_LOG : METRICS_FILE), 'a', 0o640);
      job[key] = fd;
      // Recovery cut the file to the checkpoint; what is there now is where appends continue.
      job[which] = fstatSync(fd).size;
      this.dirsToSync.add(this.jobDir(jobId));
    }
    return job[key]!;
  }

  private appendOutput(e: Extract<FeedEvent, { k: 'out' }>): void {
    const job = this.openJob(e.jobId);
    if (!job) return;
    const fd = this.fd(e.jobId, job, 'log');
    const header = encodeRecordHeader({ position: e.p, at: e.at, stream: e.stream, length: e.data.length });
    writeAll(fd, header);
    writeAll(fd, e.data);
    job.log += header.length + e.data.length;
    this.unsyncedBytes += header.length + e.data.length;
    this.dirty.add(fd);
  }

  private appendMetrics(e: Extract<FeedEvent, { k: 'metrics' }>): void {
    const job = this.openJob(e.jobId);
    if (!job) return;
    const fd = this.fd(e.jobId, job, 'metrics');
    const line = Buffer.from(JSON.stringify({ position: e.p, at: e.at, ...e.sample }) + '\n');
    writeAll(fd, line);
    job.metrics += line.length;
    this.unsyncedBytes += line.length;
    this.dirty.add(fd);
  }

  private async finish(e: Extract<FeedEvent, { k: 'finished' }>): Promise<void> {
    if (this.closed.has(e.jobId)) return;
    const jobDir = this.jobDir(e.jobId);
    const job = this.openJob(e.jobId)!;
    this.closeFds(job);
    const raw = join(jobDir, OUTPUT_LOG);
    const hasRaw = job.log > 0 || exists(raw);
    const gzTmp = join(jobDir, `${OUTPUT_GZ}.tmp`);
    // An empty source makes an empty-member gzip, so every ended job has the same files.
    if (hasRaw) await pipeline(createReadStream(raw), createGzip({ level: GZIP_LEVEL }), createWriteStream(gzTmp, { mode: 0o640 }));
    else writeFileSync(gzTmp, EMPTY_GZ, { mode: 0o640 });
    const fd = openSync(gzTmp, 'r+');
    try { fsyncSync(fd); } finally { closeSync(fd); }
    renameSync(gzTmp, join(jobDir, OUTPUT_GZ));
    const done: DoneInfo = {
      jobId: e.jobId, finishedPosition: e.p, endedAt: e.at, status: e.status, exitCode: e.exitCode,
      logBytes: job.log, gzBytes: statSync(join(jobDir, OUTPUT_GZ)).size, metricsBytes: job.metrics,
    };
    writeFileDurably(jobDir, DONE_FILE, Buffer.from(JSON.stringify(done) + '\n'));  // also fsyncs the gz rename
    this.open.delete(e.jobId);
    if (hasRaw) this.removeRaw.push(e.jobId);
    this.closed.set(e.jobId, { endedAt: e.at, finishedPosition: e.p, bytes: done.gzBytes + done.metricsBytes });
  }

  private delete(jobId: string): void {
    const job = this.open.get(jobId);
    if (job) this.closeFds(job);
    const known = this.open.delete(jobId) || this.closed.delete(jobId);
    if (known) this.removeDirs.push(jobId);
  }

  private closeFds(job: OpenJob): void {
    for (const fd of [job.logFd, job.metricsFd]) {
      if (fd === undefined) continue;
      if (this.dirty.delete(fd)) fsyncSync(fd);
      closeSync(fd);
    }
    job.logFd = job.metricsFd = undefined;
  }

  /** Makes everything applied durable and moves the checkpoint to it. */
  checkpoint(): void {
    for (const fd of this.dirty) fsyncSync(fd);
    this.dirty.clear();
    for (const d of this.dirsToSync) fsyncDir(d);
    this.dirsToSync.clear();
    const open: Record<string, { log: number; metrics: number }> = {};
    for (const [jobId, j] of this.open) open[jobId] = { log: j.log, metrics: j.metrics };
    const removals = { removeDirs: this.removeDirs, removeRaw: this.removeRaw };
    writeCheckpoint(this.dir, { version: 1, position: this.applied, open, ...removals });
    this.durable = this.applied;
    this.unsyncedBytes = 0;
    this.removeDirs = [];
    this.removeRaw = [];
    carryOutRemovals(this.dir, removals);
  }

  /** Removes finished jobs' files past the retention age or size; returns the removed job ids. */
  applyRetention(settings: RetentionSettings, now: number): string[] {
    if (settings.retentionMs === 0 && settings.maxTotalBytes === 0) return [];
    // Only jobs finished at or before the checkpoint: a later end may still be undone by a restart.
    const finished = [...this.closed].filter(([, c]) => c.finishedPosition <= this.durable).map(([jobId, c]) => ({ jobId, endedAt: c.endedAt, bytes: c.bytes }));
    let openBytes = 0;
    for (const j of this.open.values()) openBytes += j.log + j.metrics;
    const chosen = chooseForRemoval(finished, openBytes, settings, now);
    for (const jobId of chosen) {
      removeJobDir(this.dir, jobId);
      this.closed.delete(jobId);
    }
    return chosen;
  }

  /** Total bytes of every job's files (for facts). */
  totalBytes(): number {
    let total = 0;
    for (const j of this.open.values()) total += j.log + j.metrics;
    for (const c of this.closed.values()) total += c.bytes;
    return total;
  }

  /** Closes every file without syncing (after a failed write; recovery starts over from the checkpoint). */
  abandon(): void {
    for (const job of this.open.values()) {
      for (const fd of [job.logFd, job.metricsFd]) if (fd !== undefined) try { closeSync(fd); } catch { /* already closed */ }
      job.logFd = job.metricsFd = undefined;
    }
    this.dirty.clear();
  }
}

function exists(file: string): boolean {
  try { statSync(file); return true; } catch { return false; }
}

