// Entry of the persist child (child_process.fork). It owns DATA_DIR/logs: recovers the files to
// its checkpoint, applies the events the daemon feeds it (in order, one message at a time),
// checkpoints often, and serves history over its Unix socket.
//
// A failed write (a full disk above all) does not kill it: it drops the current feed (the epoch
// changes, so messages already on their way are ignored), waits with backoff, recovers from its
// checkpoint again and asks the daemon to feed it from there. The daemon keeps running jobs the
// whole time; the output waits in the event log.
import { join } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { LogProjection } from './logProjection.js';
import { recover } from './persistRecovery.js';
import { logsDir, socketPath } from './persistLayout.js';
import { startHistoryServer } from './historyServer.js';
import { takeOverFromPredecessor } from './predecessor.js';
import type { FromPersistChild, PersistSettings, ToPersistChild } from './persistProtocol.js';
import { LogOutputReader } from './logOutputReader.js';

const CHECKPOINT_EVERY_MS = 100;
const CHECKPOINT_EVERY_BYTES = 2 * 1024 * 1024;
const RETENTION_EVERY_MS = 60_000;
const BACKOFF_FIRST_MS = 200;
const BACKOFF_MAX_MS = 10_000;

let dir = '';
let settings: PersistSettings = { retentionMs: 0, maxTotalBytes: 0 };
let projection: LogProjection | undefined;
let epoch = 0;
let failures = 0;
let failing = false;
let work: Promise<void> = Promise.resolve();
let checkpointTimer: NodeJS.Timeout | undefined;
/** The pending checkpoint timer is the immediate one (enough bytes were written). */
let checkpointSoon = false;
let server: grpc.Server | undefined;
let socket = '';
let reader: LogOutputReader | undefined;

const send = (m: FromPersistChild): void => { if (process.connected) process.send!(m); };

/** Runs `task` after every earlier one, only while the epoch it was queued in is current. */
function enqueue(task: () => void | Promise<void>): void {
  const mine = epoch;
  work = work.then(async () => {
    if (mine !== epoch || failing) return;
    try {
      await task();
    } catch (err) {
      fail(err as NodeJS.ErrnoException);
    }
  });
}

function start(): void {
  // A failure during recovery itself (the disk is still full) must schedule the next try too.
  failing = false;
  try {
    const recovered = recover(dir);
    for (const w of recovered.warnings) send({ t: 'warn', message: w });
    projection = new LogProjection(dir, recovered, (message) => send({ t: 'warn', message }));
    send({ t: 'ready', epoch, position: projection.durable, socket });
    enqueue(retention);
  } catch (err) {
    fail(err as NodeJS.ErrnoException);
  }
}

function fail(err: NodeJS.ErrnoException): void {
  if (failing) return;
  failing = true;
  epoch++;
  clearTimeout(checkpointTimer);
  checkpointTimer = undefined;
  projection?.abandon();
  failures++;
  const retryInMs = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (failures - 1));
  const diskFull = err.code === 'ENOSPC' || err.code === 'EDQUOT';
  send({ t: 'failed', error: err.message, diskFull, retryInMs });
  setTimeout(start, retryInMs);
}

function scheduleCheckpoint(): void {
  if (!projection) return;
  const soon = projection.unsyncedBytes >= CHECKPOINT_EVERY_BYTES;
  // A checkpoint due later is brought forward once enough is written: during a flood the daemon's
  // capture waits for these checkpoints (captureGate.ts), and a 100 ms timer left running while
  // megabytes arrived made every flood wait ~100 ms per window.
  if (checkpointTimer && (checkpointSoon || !soon)) return;
  clearTimeout(checkpointTimer);
  checkpointSoon = soon;
  checkpointTimer = setTimeout(() => { checkpointTimer = undefined; enqueue(checkpoint); }, soon ? 0 : CHECKPOINT_EVERY_MS);
}

function checkpoint(): void {
  const p = projection;
  // a stop that arrives before init finished (a daemon closed right after start) has nothing to save
  if (!p || p.applied === p.durable) return;
  p.checkpoint();
  failures = 0;
  // Retention first, so a caller that saw the checkpoint also sees its removals.
  retention();
  send({ t: 'checkpoint', epoch, position: p.durable });
}

function retention(): void {
  const removed = projection?.applyRetention(settings, Date.now()) ?? [];
  if (removed.length > 0) send({ t: 'info', message: `persist retention removed the files of ${removed.length} finished jobs`, jobIds: removed });
}

async function onMessage(m: ToPersistChild): Promise<void> {
  switch (m.t) {
    case 'init':
      dir = logsDir(m.dataDir);
      settings = m.settings;
      socket = socketPath(m.dataDir);
      reader = new LogOutputReader(m.logFile);
      reader.open();
      await takeOverFromPredecessor(join(m.dataDir, 'run'));
      server = await startHistoryServer(socket, {
        durable: () => projection?.durable ?? 0,
        job: (jobId) => {
          if (!projection) return undefined;
          const running = projection.open.has(jobId);
          return running || projection.closed.has(jobId) ? { dir: join(dir, jobId), running } : undefined;
        },
      });
      setInterval(() => enqueue(retention), RETENTION_EVERY_MS).unref();
      start();
      break;
    case 'events': {
      if (m.epoch !== epoch || failing) return;  // sent before a rewind: the daemon resends from the checkpoint
      enqueue(async () => {
        // One event at a time: an output event's bytes are a view of the reader's buffer, valid
        // until its next read, and the projection writes them out before it returns.
        for (const e of m.events) await projection!.apply([e.k === 'out' ? reader!.withBytes(e) : e], e.p);
        await projection!.apply([], m.upTo);
        scheduleCheckpoint();
      });
      break;
    }
    case 'stop':
      clearTimeout(checkpointTimer);
      enqueue(checkpoint);
      await work;
      await new Promise<void>((r) => (server ? server.tryShutdown(() => r()) : r()));
      if (process.connected) process.disconnect();
      setTimeout(() => process.exit(0), 1000).unref();
      break;
  }
}

// Only init can throw here (the socket cannot be bound): exit, and the daemon's supervisor retries.
process.on('message', (m) => {
  void onMessage(m as ToPersistChild).catch((err) => {
    send({ t: 'warn', message: `persist child: ${(err as Error).message}` });
    process.exit(1);
  });
});
// The daemon is gone: the next daemon's child recovers from the checkpoint, so stop writing now
// rather than race it.
process.on('disconnect', () => process.exit(0));
