// Follows one job through its supervisor's files (status, output spool) and turns them into
// observations in the promised order: started, output*, then exited, lost or startFailed. The
// same code serves a job this daemon launched and one it re-attached to after a restart, so the
// path a restart takes is the path every job takes.
//
// Wake-ups: inotify on the state dir (fs.watch: the supervisor appends to the spool and renames
// the status file into place), the supervisor's exit when it is our child, and a slow poll that
// catches what inotify cannot say (a supervisor killed without a word) and any missed event.
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import { SpoolReader, SPOOL_FILE, type SpoolRecord } from './spool.js';
import { readSupervisorStatus, STATUS_FILE, type SupervisorStatus } from './supervisorFiles.js';
import { signalName } from './launcherProtocol.js';
import { captureWait } from './captureGate.js';
import { outputBuffer } from './outputBuffers.js';
import type { Observation } from './types.js';

/** What the tail needs to know about the supervisor process itself. */
export interface SupervisorHandle {
  /** false once it has exited (checked before the status file is read, see step()) */
  alive(): boolean;
  /** the end of a supervisor that left no final status, for the observation that reports it */
  vanished(jobStarted: boolean): Observation;
  /**
   * Extra wake-ups: `wake` for news of the supervisor (our child's exit), `outputWake` for news of
   * the spool only, which reuses the last status reading (a job printing lines wakes it per line).
   */
  onWake?(wake: () => void, outputWake: () => void): void;
}

export interface TailOptions {
  jobId: string;
  stateDir: string;
  /** the spool offset to read from */
  from: number;
  /** 'started' is already known (a re-attach of a RUNNING job): do not emit it again */
  startedKnown: boolean;
  handle: SupervisorHandle;
  /** resolves once the observation is consumed (durable); reads run ahead of it only within the bounds below, and each drain (and so the end) waits for it */
  emit: (o: Observation) => Promise<void>;
  pollMs?: number;
}

export interface JobTail {
  readonly finished: Promise<void>;
  /** true once the final observation is out */
  readonly done: boolean;
  wake(): void;
  /** stops watching; the supervisor and the job keep running */
  detach(): void;
}

/** Spool bytes read at once. */
const READ_BYTES = 1 << 20;
/**
 * Output observations (and so JobOutputWritten events) stay this small or smaller: adjacent
 * records of one stream. A flood then costs one event per 256 KiB instead of one per 64 KiB pipe
 * read: 4 times fewer encodes, hashes, puts, feed messages and stubs (decision 0027). 1 MiB was
 * faster still, but a stalled live reader then held ~12 MB of the daemon (readerFaults test, bound
 * 10 MB for 80 MB of output; 5.6 MB at 256 KiB). A job printing lines still makes small events.
 */
export const MAX_OBSERVATION_BYTES = 256 * 1024;
// Spool bytes read but not yet durable in the log, per job and for all jobs of this daemon. The
// more a tail has in flight, the bigger the group commits and the fewer the fsyncs (on this VM,
// 1 MiB in flight: ~70 MB/s to the log, 16 MiB: ~190 MB/s); the totals bound the daemon's memory.
// A job with nothing in flight may always read once more, so every job makes progress: the worst
// case is MAX_IN_FLIGHT_ALL plus one read per job.
const MAX_IN_FLIGHT_PER_JOB = 16 * READ_BYTES;
const MAX_IN_FLIGHT_ALL = 64 * READ_BYTES;
let inFlightAll = 0;

export function tailJob(opts: TailOptions): JobTail {
  const { jobId, stateDir, handle, emit } = opts;
  const spool = new SpoolReader(join(stateDir, SPOOL_FILE));
  let startedSent = opts.startedKnown;
  let done = false;
  let detached = false;
  let busy = false;
  let again = false;
  let st: SupervisorStatus | undefined;
  let statusStale = true;
  let resolveFinished!: () => void;
  const finished = new Promise<void>((r) => { resolveFinished = r; });

  let watcher: FSWatcher | undefined;
  try {
    // only the two files that carry news (the pid file and the .tmp files of the atomic
    // replacements are noise); a null name means the kernel could not say which (overflow)
    watcher = watch(stateDir, (_event, name) => {
      if (name === SPOOL_FILE) wakeForOutput();
      else if (name === null || name === STATUS_FILE) wake();
    });
    watcher.on('error', () => { watcher?.close(); watcher = undefined; });
  } catch { /* the dir is gone: the poll still finds the end */ }
  const poll = setInterval(() => wake(), opts.pollMs ?? 1000);

  const stop = () => {
    spool.close();
    watcher?.close();
    watcher = undefined;
    clearInterval(poll);
  };
  let starting: Promise<void> | undefined;  // the 'started' observation until it is consumed
  const settle = async (o: Observation) => {
    if (done) return;
    done = true;
    stop();
    const end = emit(o);
    await Promise.all([starting?.catch(() => undefined), end]);
    resolveFinished();
  };

  let readAt = opts.from;

  /**
   * Hands on every complete record from `readAt` on. Reading runs ahead of the log within the
   * in-flight bounds above: the next read and its encoding overlap the commit and fsync of the
   * ones before (appends keep call order, so the log order is the spool order). The drain ends
   * once all it handed on is consumed, so a wake-up never reads past what the log has taken.
   */
  const drain = async () => {
    const inFlight: { done: Promise<void>; bytes: number }[] = [];
    let mine = 0;
    const settleOldest = async () => {
      const oldest = inFlight.shift()!;
      try {
        await oldest.done;
      } finally {
        mine -= oldest.bytes;
        inFlightAll -= oldest.bytes;
      }
    };
    try {
      for (;;) {
        while (inFlight.length > 0 && (mine + READ_BYTES > MAX_IN_FLIGHT_PER_JOB || inFlightAll + READ_BYTES > MAX_IN_FLIGHT_ALL)) await settleOldest();
        // The persist service may hold the read back until its child has taken more (captureGate.ts).
        // This drain's own reads count against the gate until settled, and they need no gate to
        // become durable: settle them before waiting, or two jobs each waiting with their reads
        // still counted could keep the gate closed for good.
        const gate = captureWait(READ_BYTES, inFlightAll);
        if (gate) {
          if (inFlight.length > 0) await settleOldest();
          else await gate;
          if (detached) return;
          continue;
        }
        // a job that prints nothing has no spool (the supervisor makes it at the first output):
        // looked for without the thrown ENOENT of an open, at every step of such a job
        if (!spool.isOpen && !existsSync(spool.file)) return;
        let chunk: { records: SpoolRecord[]; next: number; release(): void };
        try {
          chunk = await spool.read(readAt, READ_BYTES);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
          throw err;
        }
        if (chunk.records.length === 0 || detached) { chunk.release(); return; }
        const bytes = chunk.next - readAt;
        readAt = chunk.next;
        mine += bytes;
        inFlightAll += bytes;
        const observations = coalesce(jobId, chunk.records);
        chunk.release();  // coalesce copied the bytes out of the read buffer
        inFlight.push({ bytes, done: Promise.all(observations.map(emit)).then(() => undefined) });
      }
    } finally {
      // every read's emits settle (and give their budget back) before the drain ends; the first
      // failure among them, if any, is the drain's (a failed read already is)
      let failure: unknown;
      while (inFlight.length > 0) await settleOldest().catch((err: unknown) => { failure ??= err; });
      if (failure !== undefined) throw failure;
    }
  };

  const step = async () => {
    // Liveness first: a status read after the supervisor was seen gone is its last word, and
    // the supervisor writes the whole spool before its final status line, so a final status
    // read before the drain means the drain reads everything.
    const alive = handle.alive();
    // The status file is read again only when it may have changed: a wake-up about the spool
    // alone (one per line a job prints) reuses the last reading. Its change is always announced
    // (inotify names it, or overflows with no name), and the poll re-reads it regardless.
    if (statusStale || !alive) {
      statusStale = false;
      try {
        st = readSupervisorStatus(stateDir);
      } catch (err) {
        return settle({ type: startedSent ? 'lost' : 'startFailed', jobId, reason: (err as Error).message, at: Date.now() });
      }
    }
    if (st?.error !== undefined) return settle({ type: 'startFailed', jobId, reason: st.error, at: st.at });
    if (st?.started === undefined) {
      if (!alive) await settle(handle.vanished(startedSent));
      return;
    }
    // 'started' is handed on without waiting for its fsync: the log appends in emit order, so
    // the output and the end that follow can share its commit, and a wake-up that finds the exit
    // meanwhile reads it at once (a job as short as /bin/true then costs one fsync round trip
    // after its launch, not two). The end waits for it (settle).
    if (!startedSent) {
      startedSent = true;
      starting = emit({ type: 'started', jobId, pid: st.started, at: st.at });
      starting.catch(() => undefined);  // the listener reports its own failures; settle only waits
    }
    await drain();
    if (detached) return;
    if (st.final) return settle(finalObservation(jobId, st));
    if (!alive) return settle(handle.vanished(true));
  };

  const run = async () => {
    if (busy) { again = true; return; }
    busy = true;
    try {
      do {
        again = false;
        await step();
      } while (again && !done && !detached);
    } catch (err) {
      // a spool that stopped being one (corrupt, cut): the end is unknown, say so and stop
      await settle({ type: startedSent ? 'lost' : 'startFailed', jobId, reason: (err as Error).message, at: Date.now() });
    } finally {
      busy = false;
    }
  };
  const wakeForOutput = () => { if (!done && !detached) void run(); };
  const wake = () => { statusStale = true; wakeForOutput(); };
  handle.onWake?.(wake, wakeForOutput);
  queueMicrotask(wake);

  return {
    finished,
    get done() { return done; },
    wake,
    detach() { detached = true; stop(); },
  };
}

function finalObservation(jobId: string, st: SupervisorStatus): Observation {
  const f = st.final!;
  if (f.kind === 'exited') return { type: 'exited', jobId, exitCode: f.code, at: st.at };
  const name = signalName(f.signal);
  return { type: 'exited', jobId, exitCode: 128 + f.signal, ...(name ? { signal: name } : {}), at: st.at };
}

/** Adjacent records of one stream become one observation of up to MAX_OBSERVATION_BYTES, carrying its spool end. */
export function coalesce(jobId: string, records: SpoolRecord[]): Observation[] {
  const out: Observation[] = [];
  let run: SpoolRecord[] = [];
  let size = 0;
  const flush = () => {
    if (run.length === 0) return;
    // One copy, into a buffer with room for the event's encoding around it (outputBuffers.ts):
    // the log stores these bytes where they lie, and the spool read buffer is free for the next read.
    const data = outputBuffer(size);
    let at = 0;
    for (const r of run) { data.set(r.data, at); at += r.data.length; }
    out.push({ type: 'output', jobId, stream: run[0].stream, data, at: run[0].at, spoolEnd: run[run.length - 1].end });
    run = [];
    size = 0;
  };
  for (const r of records) {
    if (run.length > 0 && (r.stream !== run[0].stream || size + r.data.length > MAX_OBSERVATION_BYTES)) flush();
    run.push(r);
    size += r.data.length;
  }
  flush();
  return out;
}
