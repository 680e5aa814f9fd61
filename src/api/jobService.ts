// joblet.JobService: the wire-compatible job API. Each handler validates at the edge, turns the
// request into a command, and answers from the durable job table.
import { randomUUID } from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import type { JobServiceHandlers } from '../gen/joblet/JobService.js';
import type { RunJobRequest__Output } from '../gen/joblet/RunJobRequest.js';
import type { DataChunk } from '../gen/joblet/DataChunk.js';
import type { GetJobLogsRequest__Output } from '../gen/joblet/GetJobLogsRequest.js';
import type { JobEvent } from '../events/jobEvents.js';
import type { RunContext } from '../events/validateRun.js';
import { validateRunRequest } from '../events/validateRun.js';
import { isFinal } from '../events/job.js';
import type { EventStore } from '../persist/eventStore.js';
import type { CommandHandler } from '../daemon/commands.js';
import type { JobFiles } from '../daemon/jobFiles.js';
import type { Middleware } from './middleware.js';
import type { OutputHistory } from './outputHistory.js';
import { asBuffer, rawOutput, writeOrWait, type OutputStreams } from './outputStream.js';
import { toWireJob, toStatusResponse, rfc3339 } from './jobWire.js';
import { metricsHandlers } from './metricsRpcs.js';

export interface JobServiceDeps {
  commands: CommandHandler;
  store: EventStore<JobEvent>;
  files: JobFiles;
  nodeId: string;
  stopGraceMs: number;
  runContext: () => RunContext;
  /** Where output compacted out of the log lives (the persist service); LOG_ONLY_HISTORY when absent. */
  outputHistory?: OutputHistory;
  /** Aborted when the server shuts down, so open StreamJobMetrics calls end (metricsRpcs.ts). */
  shutdown?: AbortSignal;
}

const SERVICE = 'joblet.JobService';
/** How long StopJob waits for the exit after the grace period before answering with what it knows. */
const STOP_SETTLE_MS = 10_000;

/** `outputs` is the server's one output engine, shared with joblet.logs.v1 (server.ts). */
export function jobServiceHandlers(m: Middleware, d: JobServiceDeps, outputs: OutputStreams): Partial<JobServiceHandlers> {
  const { commands } = d;
  const table = commands.table;
  const now = () => Date.now();

  return {
    ...metricsHandlers(m, { store: d.store, table, ...(d.shutdown ? { shutdown: d.shutdown } : {}) }),
    RunJob: m.unary(SERVICE, 'RunJob', async (req: RunJobRequest__Output, { caller }) => {
      const uploads = req.uploads.map((u) => ({ path: u.path, size: u.content.length, mode: u.mode, isDirectory: u.is_directory }));
      const { spec, scheduledAt } = validateRunRequest({
        command: req.command, args: req.args, maxCpu: req.max_cpu, cpuCores: req.cpu_cores, maxMemory: req.max_memory,
        maxIoBps: req.max_io_bps, uploads, schedule: req.schedule, network: req.network, volumes: req.volumes,
        runtime: req.runtime, workDir: req.work_dir, environment: req.environment, secretEnvironment: req.secret_environment,
        gpuCount: req.gpu_count, gpuMemoryMb: req.gpu_memory_mb, timeout: req.timeout,
      }, d.runContext());
      const jobId = randomUUID();
      d.files.prepare(jobId, req.uploads.map((u) => ({ path: u.path, content: u.content, mode: u.mode, isDirectory: u.is_directory })), req.secret_environment);
      try {
        await commands.handle({ type: 'SubmitJob', jobId, at: now(), by: caller, nodeId: d.nodeId, spec, ...(scheduledAt !== undefined ? { scheduledAt } : {}) });
      } catch (err) {
        d.files.remove(jobId);
        throw err;
      }
      return { job_uuid: jobId, status: table.get(jobId)?.status ?? 'INITIALIZING' };
    }),

    GetJobStatus: m.unary(SERVICE, 'GetJobStatus', async (req) => toStatusResponse(table.resolve(req.uuid))),

    ListJobs: m.unary(SERVICE, 'ListJobs', async () => ({ jobs: table.list().map(toWireJob) })),

    StopJob: m.unary(SERVICE, 'StopJob', async (req, { caller }) => {
      const job = table.resolve(req.uuid);
      await commands.handle({ type: 'StopJob', jobId: job.id, at: now(), by: caller, reason: 'user' });
      const done = await commands.waitFor(job.id, (j) => !j || isFinal(j), d.stopGraceMs + STOP_SETTLE_MS);
      const end = done && isFinal(done) ? done : undefined;
      return { uuid: job.id, status: done?.status ?? 'STOPPED', end_time: rfc3339(end?.endedAt), exit_code: end?.exitCode ?? -1 };
    }),

    CancelJob: m.unary(SERVICE, 'CancelJob', async (req, { caller }) => {
      const job = table.resolve(req.uuid);
      await commands.handle({ type: 'CancelJob', jobId: job.id, at: now(), by: caller });
      return { uuid: job.id, status: table.get(job.id)?.status ?? 'CANCELED' };
    }),

    DeleteJob: m.unary(SERVICE, 'DeleteJob', async (req, { caller }) => {
      const job = table.resolve(req.uuid);
      await commands.handle({ type: 'DeleteJob', jobId: job.id, at: now(), by: caller });
      return { uuid: job.id, success: true, message: `job ${job.id} deleted` };
    }),

    DeleteAllJobs: m.unary(SERVICE, 'DeleteAllJobs', async (_req, { caller }) => {
      const jobs = table.list();
      const finished = jobs.filter(isFinal);
      await Promise.all(finished.map((j) => commands.handle({ type: 'DeleteJob', jobId: j.id, at: now(), by: caller })));
      const skipped = jobs.length - finished.length;
      return {
        success: true,
        message: `deleted ${finished.length} finished jobs${skipped ? `, skipped ${skipped} still active` : ''}`,
        deleted_count: finished.length,
        skipped_count: skipped,
      };
    }),

    GetJobLogs: m.stream(SERVICE, 'GetJobLogs', async (req: GetJobLogsRequest__Output, { cancelled }, out: grpc.ServerWritableStream<GetJobLogsRequest__Output, DataChunk>) => {
      const job = table.resolve(req.uuid);
      // Raw bytes of both streams, history then live, as Joblet's clients expect (outputStream.ts).
      await outputs.stream(rawOutput(job.id), (c, stop) => writeOrWait(out, { payload: asBuffer(c.data) }, stop), cancelled);
    }),
  };
}

