// rnx job metrics <id>: the job's resource samples from its start, then live ones until it ends.
// One line per sample (or JSON lines with --json); on a terminal, a CPU and memory chart after the
// last one. Read through the event tail, following, so history and live samples meet with no gap
// or duplicate; the job's end event (asked for too) ends it. The tail, not StreamJobMetrics,
// because its samples also carry the memory peak and pids (docs/decisions: metrics).
import type { CAC } from 'cac';
import type { Event__Output } from '../../gen/joblet/events/v1/Event.js';
import type { Context } from '../context.js';
import { toCliError } from '../errors.js';
import { formatMetricsChart, formatMetricsJson, formatMetricsLine, sampleOf, type MetricsLine } from '../format/metrics.js';

const END_TYPES = ['JobFinished', 'JobCanceled', 'JobDeleted'];

export async function jobMetrics(ctx: Context, id: string): Promise<void> {
  const s = ctx.session();
  const out = ctx.io.stdout;
  const samples: MetricsLine[] = [];
  // No deadline: following lasts as long as the job runs.
  const call = s.events.TailEvents({ job_id: id, types: ['JobMetricsSampled', ...END_TYPES], follow: true });
  let ended = false;
  await new Promise<void>((resolve, reject) => {
    const stop = () => { ended = true; call.cancel(); resolve(); };
    // `rnx job metrics ID | head` closes our stdout early; that ends following, it is not a failure.
    (out as Partial<NodeJS.WritableStream>).on?.('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' ? stop() : reject(err)));
    call.on('data', (e: Event__Output) => {
      if (ended) return;
      if (END_TYPES.includes(e.type)) { stop(); return; }
      const sample = sampleOf(e);
      if (!sample) return;
      samples.push(sample);
      // stop reading from the server while stdout is full, so a slow reader costs no memory
      if (!out.write(ctx.json ? formatMetricsJson(sample) : formatMetricsLine(sample))) {
        call.pause();
        out.once('drain', () => call.resume());
      }
    });
    call.on('end', () => resolve());
    call.on('error', (err) => {
      if (ended) return;  // our own cancel after the end
      try { reject(toCliError(err, s.site('TailEvents'))); } catch (bug) { reject(bug); }
    });
  });
  if (!ctx.json && out.isTTY) ctx.out(formatMetricsChart(samples));
}

export function register(cli: CAC, ctx: Context): void {
  cli.command('metrics <id>', 'Print a job\'s resource samples (CPU, memory, IO, pids, net), then follow them until the job ends')
    .usage('job metrics <id> [--json]')
    .action((id: unknown) => jobMetrics(ctx, String(id)));
}
