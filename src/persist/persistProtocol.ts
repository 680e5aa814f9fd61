// Messages between the daemon and its persist child over the fork(2) IPC channel. The daemon
// sends only what the files need, output events by position and length (the child reads their
// bytes from the log, logOutputReader.ts); the child owns the files and their checkpoint
// (docs/decisions/0014-persist-child-fed-over-ipc.md, 0025).
import type { RetentionSettings } from './retention.js';

/** One log event the files care about, stripped to its fields; `p` is its log position. */
export type FeedEvent =
  | { k: 'out'; p: number; jobId: string; at: number; stream: 'stdout' | 'stderr'; data: Uint8Array }
  | { k: 'metrics'; p: number; jobId: string; at: number; sample: Record<string, unknown> }
  | { k: 'finished'; p: number; jobId: string; at: number; status: string; exitCode: number }
  | { k: 'deleted'; p: number; jobId: string };

/**
 * A FeedEvent as it crosses the IPC channel: an output event names its length, and the child
 * reads its bytes from the event log at its position (logOutputReader.ts).
 */
export type WireFeedEvent = Exclude<FeedEvent, { k: 'out' }> | (Omit<Extract<FeedEvent, { k: 'out' }>, 'data'> & { len: number });

export type PersistSettings = RetentionSettings;

export type ToPersistChild =
  /** `logFile`: the event log (events.mdb) the child reads output bytes from, read-only. */
  | { t: 'init'; dataDir: string; logFile: string; settings: PersistSettings }
  /** The events the files need among positions up to `upTo`, in log order (may be empty). */
  | { t: 'events'; epoch: number; upTo: number; events: WireFeedEvent[] }
  | { t: 'stop' };

export type FromPersistChild =
  /** Files recovered to `position`; feed from position + 1, tagging messages with `epoch`. */
  | { t: 'ready'; epoch: number; position: number; socket: string }
  /** Everything up to `position` is durably in the files. */
  | { t: 'checkpoint'; epoch: number; position: number }
  /** A write failed; the child drops this epoch's feed, waits, recovers and says `ready` again. */
  | { t: 'failed'; error: string; diskFull: boolean; retryInMs: number }
  | { t: 'warn'; message: string }
  | { t: 'info'; message: string; jobIds?: string[] };
