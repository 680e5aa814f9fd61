// joblet.logs.v1.LogService (proto/joblet_logs_v1.proto): a job's output with stream selection,
// capture timestamps, tail, since and follow/no-follow, over the same engine as GetJobLogs
// (outputStream.ts). Bad input is INVALID_ARGUMENT naming the field; an unknown job is NOT_FOUND.
import type * as grpc from '@grpc/grpc-js';
import type { LogServiceHandlers } from '../gen/joblet/logs/v1/LogService.js';
import type { StreamLogsRequest__Output } from '../gen/joblet/logs/v1/StreamLogsRequest.js';
import type { LogChunk } from '../gen/joblet/logs/v1/LogChunk.js';
import { invalid } from '../events/errors.js';
import type { JobTable } from '../projections/jobTable.js';
import type { Middleware } from './middleware.js';
import { registerExtensionMethod } from './rbac.js';
import { OUTPUT_STREAMS, asBuffer, writeOrWait, type OutputQuery, type OutputStreamName, type OutputStreams } from './outputStream.js';

export const LOG_SERVICE = 'joblet.logs.v1.LogService';

// `since` comes from the client's clock; allow that much skew before calling it "in the future".
const SINCE_SKEW_MS = 60_000;
// Finding a tail keeps 13 bytes per line of it (outputTail.ts): a million lines is 13 MB a reader.
export const MAX_TAIL_LINES = 1_000_000;

/** Who may call it: the same roles as joblet.JobService/GetJobLogs (any role, reader up). */
export function registerLogServiceRules(): void {
  registerExtensionMethod(LOG_SERVICE, 'StreamLogs', 'read');
}

export interface LogServiceDeps {
  table: JobTable;
  outputs: OutputStreams;
  now?: () => number;
}

type Out = grpc.ServerWritableStream<StreamLogsRequest__Output, LogChunk>;

export function logServiceHandlers(m: Middleware, d: LogServiceDeps): LogServiceHandlers {
  registerLogServiceRules();
  const now = d.now ?? Date.now;
  return {
    StreamLogs: m.stream(LOG_SERVICE, 'StreamLogs', async (req: StreamLogsRequest__Output, { cancelled }, out: Out) => {
      const q = parseStreamLogsRequest(req, d.table, now());
      await d.outputs.stream(q, (c, stop) => writeOrWait(out, {
        stream: c.stream,
        timestamp: (BigInt(c.at) * 1_000_000n).toString(),
        position: String(c.position),
        payload: asBuffer(c.data),
      }, stop), cancelled);
    }),
  };
}

/** The request → a checked query; throws INVALID_ARGUMENT (naming the field) or NOT_FOUND. */
export function parseStreamLogsRequest(req: StreamLogsRequest__Output, table: JobTable, now: number): OutputQuery {
  if (!req.job_uuid) throw invalid('job_uuid', 'is required (a job id or a unique prefix of one)');
  const streams = new Set<OutputStreamName>();
  req.streams.forEach((s, i) => {
    if (!(OUTPUT_STREAMS as readonly string[]).includes(s)) throw invalid(`streams[${i}]`, `"${s}" is not a stream name (use stdout or stderr)`);
    streams.add(s as OutputStreamName);
  });
  const since = Number(req.since || 0);
  if (!Number.isSafeInteger(since) || since < 0) throw invalid('since', `must be a Unix time in milliseconds >= 0 (got ${req.since})`);
  if (since > now + SINCE_SKEW_MS) throw invalid('since', `${new Date(since).toISOString()} is in the future (server time ${new Date(now).toISOString()})`);
  const tail = req.tail_lines;
  if (tail !== undefined && (!Number.isSafeInteger(tail) || tail < 0 || tail > MAX_TAIL_LINES)) {
    throw invalid('tail_lines', `must be a line count from 0 to ${MAX_TAIL_LINES} (got ${tail})`);
  }
  const job = table.resolve(req.job_uuid);
  return {
    jobId: job.id,
    streams: streams.size > 0 ? streams : new Set(OUTPUT_STREAMS),
    ...(since > 0 ? { sinceMs: since } : {}),
    ...(tail !== undefined ? { tailLines: tail } : {}),
    follow: req.follow,
  };
}
