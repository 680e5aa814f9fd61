// Where the persist service keeps its files, all under DATA_DIR/logs/ (docs/operations.md):
//   checkpoint.json, checkpoint.1.json  (two slots, persistCheckpoint.ts)
//                             last log position whose output and metrics are durably in the files,
//                             the byte lengths of running jobs' files at that position, removals due
//   <jobId>/output.log        a running job's output records (logRecord.ts), both streams in log order
//   <jobId>/output.log.gz     the same records, gzipped, once the job has ended (output.log goes)
//   <jobId>/metrics.jsonl     one JSON object per JobMetricsSampled: { position, at, ...sample }
//   <jobId>/done.json         written when the job ended: its end, status and file sizes
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { tmpdir } from 'node:os';

export const LOGS_DIR = 'logs';
export const CHECKPOINT_FILE = 'checkpoint.json';
export const OUTPUT_LOG = 'output.log';
export const OUTPUT_GZ = 'output.log.gz';
export const METRICS_FILE = 'metrics.jsonl';
export const DONE_FILE = 'done.json';

export function logsDir(dataDir: string): string { return join(dataDir, LOGS_DIR); }

// Job ids are UUIDs today; an imported or future id that is not a plain file name is skipped
// rather than allowed to name a path outside the logs dir.
const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;
export function isSafeJobId(jobId: string): boolean { return SAFE_ID.test(jobId) && !jobId.includes('..'); }

// sun_path holds 108 bytes; a deep data dir gets a socket in the temp dir named after it.
const MAX_SOCKET_PATH = 100;

/** The Unix socket the persist child serves history on: DATA_DIR/run/persist.sock (dir mode 0700). */
export function socketPath(dataDir: string): string {
  const p = join(dataDir, 'run', 'persist.sock');
  if (Buffer.byteLength(p) <= MAX_SOCKET_PATH) return p;
  return join(tmpdir(), `joblet-persist-${createHash('sha256').update(dataDir).digest('hex').slice(0, 16)}.sock`);
}
