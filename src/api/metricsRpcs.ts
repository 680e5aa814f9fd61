// StreamJobMetrics and GetJobMetrics of joblet.JobService, merged into its handlers by
// jobService.ts. Samples are JobMetricsSampled events in the log (the executor's sampler, via the
// daemon), so both read the job's own events through the store's per-job index.
import type * as grpc from '@grpc/grpc-js';
import type { JobServiceHandlers } from '../gen/joblet/JobService.js';
import type { JobMetricsEvent } from '../gen/joblet/JobMetricsEvent.js';
import type { StreamJobMetricsRequest__Output } from '../gen/joblet/StreamJobMetricsRequest.js';
import type { GetJobMetricsRequest__Output } from '../gen/joblet/GetJobMetricsRequest.js';
import type { JobEvent } from '../events/jobEvents.js';
import type { EventStore } from '../persist/eventStore.js';
import type { JobTable } from '../projections/jobTable.js';
import type { Middleware } from './middleware.js';
import { DomainError } from '../events/errors.js';
import { inRange, parseMetricsRange, toWireMetrics } from './metricsWire.js';

const SERVICE = 'joblet.JobService';

export interface MetricsDeps {
  store: EventStore<JobEvent>;
  table: JobTable;
  /** Aborted when the server shuts down: open StreamJobMetrics calls end at once, with UNAVAILABLE. */
  shutdown?: AbortSignal;
}

type Out<Req> = grpc.ServerWritableStream<Req, JobMetricsEvent>;

export function metricsHandlers(m: Middleware, d: MetricsDeps): Partial<JobServiceHandlers> {
  return {
    // Everything recorded so far, then live samples until the job ends (its exit sample is the
    // last), then the stream closes.
    StreamJobMetrics: m.stream(SERVICE, 'StreamJobMetrics', async (req: StreamJobMetricsRequest__Output, { cancelled }, out: Out<StreamJobMetricsRequest__Output>) => {
      const job = d.table.resolve(req.job_uuid);
      await followMetrics(d.store, job.id, out, cancelled, d.shutdown);
    }),

    // History only: the samples in [start_time, end_time] (Unix ns, 0 = open), oldest first, at most `limit`.
    GetJobMetrics: m.stream(SERVICE, 'GetJobMetrics', async (req: GetJobMetricsRequest__Output, { cancelled }, out: Out<GetJobMetricsRequest__Output>) => {
      const job = d.table.resolve(req.job_uuid);
      const range = parseMetricsRange(req);
      let sent = 0;
      for (const { event } of d.store.readJob(job.id)) {
        if (cancelled.aborted || (range.limit !== undefined && sent >= range.limit)) break;
        if (event.type !== 'JobMetricsSampled' || !inRange(range, event.at)) continue;
        sent++;
        if (!out.write(toWireMetrics(job.id, event.at, event.sample))) await drained(out, cancelled);
      }
    }),
  };
}

/**
 * The store's subscription is one cursor over history and live events alike, so the switch-over
 * has no gap and no duplicate; a slow client holds only its own stream (we wait for 'drain').
 * Cut short by shutdown, the call ends with UNAVAILABLE, so a client never takes a cut-off
 * series for the job's whole run.
 */
function followMetrics<Req>(store: EventStore<JobEvent>, jobId: string, out: Out<Req>, cancelled: AbortSignal, shutdown?: AbortSignal): Promise<void> {
  const cut = () => new DomainError('UNAVAILABLE', `joblet is shutting down: the metrics of job ${jobId} were not sent to the job's end; ask again once the daemon is back`);
  return new Promise((resolve, reject) => {
    // firstPositionOf closes its cursor; a half-read readJob iterator pinned freed LMDB pages
    const first = store.firstPositionOf(jobId) || 1;
    const sub = store.subscribe(first, async ({ event }) => {
      if (cancelled.aborted) return;
      if (event.type === 'JobMetricsSampled') {
        if (!out.write(toWireMetrics(jobId, event.at, event.sample))) await drained(out, cancelled);
      } else if (event.type === 'JobFinished' || event.type === 'JobCanceled' || event.type === 'JobDeleted') {
        sub.close();
        resolve();
      }
    }, { jobId });
    // the subscription stops by itself only when the store closes (the daemon is going down)
    sub.done.then(() => (store.isClosed ? reject(cut()) : resolve()), reject);
    cancelled.addEventListener('abort', () => { sub.close(); resolve(); });
    const onShutdown = () => { sub.close(); reject(cut()); };
    if (shutdown?.aborted) onShutdown();
    shutdown?.addEventListener('abort', onShutdown, { once: true });
    void sub.done.finally(() => shutdown?.removeEventListener('abort', onShutdown)).catch(() => undefined);
  });
}

/** Until the client took what is buffered, or went away (then no 'drain' ever comes). */
function drained(out: NodeJS.EventEmitter, cancelled: AbortSignal): Promise<void> {
  if (cancelled.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { out.off('drain', done); cancelled.removeEventListener('abort', done); resolve(); };
    out.once('drain', done);
    cancelled.addEventListener('abort', done, { once: true });
  });
}
