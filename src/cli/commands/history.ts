// rnx job history <id>: one job's timeline (submitted, queued, started, output totals, metrics,
// stop requests, exit) with the time between steps, read from the event log. Works for deleted
// jobs too when given the full id: their events stay in the log.
import type { CAC } from 'cac';
import * as grpc from '@grpc/grpc-js';
import type { Event__Output } from '../../gen/joblet/events/v1/Event.js';
import type { JobMetricsEvent__Output } from '../../gen/joblet/JobMetricsEvent.js';
import type { Context } from '../context.js';
import { CliError, isServiceError, toCliError } from '../errors.js';
import { buildTimeline, formatTimeline, timelineJson } from '../format/history.js';
import { tailEvents } from './events.js';

/** Metrics are a summary line; a daemon that is slow to answer should not hold the timeline up. */
const METRICS_DEADLINE_MS = 10_000;

export async function jobHistory(ctx: Context, id: string): Promise<void> {
  const events: Event__Output[] = [];
  await tailEvents(ctx, { job_id: id }, (e) => { events.push(e); return undefined; });
  const jobId = events.find((e) => e.job_id)?.job_id;
  if (!jobId) throw new CliError(`no events for job ${id} (see 'rnx job list')`);
  const timeline = buildTimeline(jobId, events, await metrics(ctx, jobId));
  ctx.out(ctx.json ? timelineJson(timeline) : formatTimeline(timeline));
}

/** The job's metric samples, or undefined where the daemon records none (UNIMPLEMENTED). */
function metrics(ctx: Context, jobId: string): Promise<JobMetricsEvent__Output[] | undefined> {
  const s = ctx.session();
  const call = s.jobs.GetJobMetrics({ job_uuid: jobId }, { deadline: Date.now() + METRICS_DEADLINE_MS });
  const samples: JobMetricsEvent__Output[] = [];
  return new Promise((resolve, reject) => {
    call.on('data', (m: JobMetricsEvent__Output) => samples.push(m));
    call.on('end', () => resolve(samples));
    call.on('error', (err) => {
      if (isServiceError(err) && (err.code === grpc.status.UNIMPLEMENTED || err.code === grpc.status.NOT_FOUND)) { resolve(undefined); return; }
      try { reject(toCliError(err, s.site('GetJobMetrics'))); } catch (bug) { reject(bug); }
    });
  });
}

export function register(cli: CAC, ctx: Context): void {
  cli.command('history <id>', 'Show a job\'s timeline from the event log, with the time between steps')
    .usage('job history <id> [--json]')
    .action((id: unknown) => jobHistory(ctx, String(id)));
}
