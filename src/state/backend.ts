// What every State backend offers. A write is a batch of records; each record is stored only if
// it is newer (record.ts isNewer) than what the backend holds for that job, checked by the backend
// itself (a Lua script, a DynamoDB condition), so two writers racing — a retried batch, a
// restarted State child, a zombie old node — can never replace a newer record by an older one.
import type { JobRecord } from './record.js';

export interface StateBackend {
  readonly name: string;
  /**
   * Stores the records that are newer than the stored ones. Resolves once the backend has
   * acknowledged all of them (stale ones count as acknowledged: something newer is there);
   * rejects when any write could not be confirmed, and the caller retries the whole batch.
   */
  write(records: JobRecord[]): Promise<void>;
  /** Records of one node, or of every node; tombstones (deleted jobs) are left out. */
  list(nodeId?: string): Promise<JobRecord[]>;
  close(): Promise<void>;
}

/** The settings the State service reads (the `state` section of the daemon config). */
export interface StateSettings {
  backend: 'memory' | 'local' | 'redis' | 'dynamodb';
  batchSize: number;
  batchDelayMs: number;
  retryMaxMs: number;
  syncOnStart: boolean;
  syncTimeoutMs: number;
  redis: { url: string; keyPrefix: string; cluster: readonly string[]; options: Readonly<Record<string, unknown>> };
  dynamodb: { tableName: string; region: string; endpoint: string; ttlMs: number; createTable: boolean };
}

/** Keeps, per job, only the newest record of a batch: the backend needs the last word only. */
export function newestPerJob(records: JobRecord[]): JobRecord[] {
  const out = new Map<string, JobRecord>();
  for (const r of records) {
    const had = out.get(r.uuid);
    if (!had || r.logEpoch > had.logEpoch || (r.logEpoch === had.logEpoch && r.position > had.position)) out.set(r.uuid, r);
  }
  return [...out.values()];
}

export function visible(records: Iterable<JobRecord>, nodeId: string | undefined): JobRecord[] {
  return [...records].filter((r) => !r.deleted && (nodeId === undefined || r.nodeId === nodeId));
}
