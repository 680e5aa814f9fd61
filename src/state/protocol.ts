// Messages between the daemon and its State child over the fork(2) IPC channel. The daemon owns
// the event log and the checkpoint; the child owns the backend connection. The child only ever
// sees records, never the log, so it needs no LMDB handle (docs/decisions/0009-state-child-fed-over-ipc.md).
import type { StateSettings } from './backend.js';
import type { JobRecord } from './record.js';

export type ToChild =
  | { t: 'init'; settings: StateSettings; dataDir: string }
  /** The changed records of every event up to `upTo` (in log order); may be empty. */
  | { t: 'records'; upTo: number; records: JobRecord[] }
  | { t: 'list'; id: number; nodeId?: string }
  | { t: 'stop' };

export type FromChild =
  | { t: 'ready'; backend: string }
  | { t: 'acked'; upTo: number; records: number; at: number }
  | { t: 'failed'; error: string; attempt: number; retryInMs: number }
  | { t: 'listed'; id: number; records?: JobRecord[]; error?: string }
  | { t: 'fatal'; error: string };
