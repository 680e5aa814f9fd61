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
import { inRange, parseMetricsRange, toWireMetrics } from './metricsWire.js';

const SERVICE = 'joblet.JobService';

export interface MetricsDeps {
  store: EventStore<JobEvent>;
  table: JobTable;
}

type Out<Req> = grpc.ServerWritableStream<Req, JobMetricsEvent>;

export function metricsHandlers(m: Middleware, d: MetricsDeps): Partial<JobServiceHandlers> {
  return {
    // Everything recorded so far, then live samples until the job ends (its exit sample is the
    // last), then the stream closes.
    StreamJobMetrics: m.stream(SERVICE, 'StreamJobMetrics', async (req: StreamJobMetricsRequest__Output, { cancelled }, out: Out<StreamJobMetricsRequest__Output>) => {
      const job = d.table.resolve(req.job_uuid);
      await followMetrics(d.store, job.id, out, cancelled);
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
        if (!out.write(toWireMetrics(job.id, event.at, event.sample))) await new Promise((r) => out.once('drain', r));
      }
    }),
  };
}

/**
 * The store's subscription is one cursor over history and live events alike, so the switch-over
 * has no gap and no duplicate; a slow client holds only its own stream (we wait for 'drain').
 */
function followMetrics<Req>(store: EventStore<JobEvent>, jobId: string, out: Out<Req>, cancelled: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const first = store.readJob(jobId)[Symbol.iterator]().next().value?.position ?? 1;
    const sub = store.subscribe(first, async ({ event }) => {
      if (cancelled.aborted) return;
      if (event.type === 'JobMetricsSampled') {
        if (!out.write(toWireMetrics(jobId, event.at, event.sample))) await new Promise((r) => out.once('drain', r));
      } else if (event.type === 'JobFinished' || event.type === 'JobCanceled' || event.type === 'JobDeleted') {
        sub.close();
        resolve();
      }
    }, { jobId });
    sub.done.then(resolve, reject);
    cancelled.addEventListener('abort', () => { sub.close(); resolve(); });
  });
}
