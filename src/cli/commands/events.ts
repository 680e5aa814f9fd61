// rnx events [--follow] [--since TIME|--from POS] [--job ID] [--type T,...] [--user CN] [--json]
// The daemon's event log through joblet.events.v1.EventService/TailEvents: one line per event, or
// JSON lines. With --follow it keeps printing new events until Ctrl-C (or until stdout closes).
import type { CAC } from 'cac';
import type { TailEventsRequest } from '../../gen/joblet/events/v1/TailEventsRequest.js';
import type { Event__Output } from '../../gen/joblet/events/v1/Event.js';
import type { Context } from '../context.js';
import { CliError, toCliError } from '../errors.js';
import { durationMs } from '../schedule.js';
import { formatEventJson, formatEventLine } from '../format/events.js';

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const LOCAL = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?$/;

/**
 * Streams TailEvents into `onEvent`. While stdout is full the call is paused, so a slow reader
 * costs no memory here and the server holds only this stream; a closed stdout (`| head`) ends it.
 */
export function tailEvents(ctx: Context, req: TailEventsRequest, onEvent: (e: Event__Output) => string | undefined): Promise<void> {
  const s = ctx.session();
  const out = ctx.io.stdout;
  // No deadline: following lasts as long as the user wants it to.
  const call = s.events.TailEvents(req);
  return new Promise<void>((resolve, reject) => {
    const onOutError = (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') { call.cancel(); resolve(); } else reject(err);
    };
    (out as Partial<NodeJS.WritableStream>).on?.('error', onOutError);
    call.on('data', (e: Event__Output) => {
      const text = onEvent(e);
      if (text !== undefined && !out.write(text)) {
        call.pause();
        out.once('drain', () => call.resume());
      }
    });
    call.on('end', () => resolve());
    call.on('error', (err) => {
      try { reject(toCliError(err, s.site('TailEvents'))); } catch (bug) { reject(bug); }
    });
  });
}

/** --since: a duration means that long ago (10m, 2h); else an RFC 3339 or local "YYYY-MM-DD HH:MM:SS" time. */
export function parseSince(text: string, now: Date): string {
  const t = text.trim();
  const ms = durationMs(t);
  if (ms !== undefined && ms > 0) return new Date(now.getTime() - ms).toISOString();
  const at = RFC3339.test(t) ? Date.parse(t.replace(' ', 'T')) : LOCAL.test(t) ? new Date(t.replace(' ', 'T')).getTime() : NaN;
  if (Number.isNaN(at)) throw new CliError(`--since: cannot read "${text}"; use a duration ago (10m, 2h) or a time (2025-01-02T15:04:05Z, "2025-01-02 15:04:05")`, 2);
  return new Date(at).toISOString();
}

/** The request for the flags given; flag values are read as typed (see Context.values). */
export function eventsRequest(ctx: Context, now: Date): TailEventsRequest {
  const since = ctx.value('--since');
  const from = ctx.value('--from');
  if (since !== undefined && from !== undefined) throw new CliError('--since and --from both given; use one of them', 2);
  if (from !== undefined && !/^\d+$/.test(from)) throw new CliError(`--from: "${from}" is not a log position (a whole number from 1)`, 2);
  const types = ctx.values('--type').flatMap((t) => t.split(',')).map((t) => t.trim()).filter(Boolean);
  return {
    ...(from !== undefined ? { from_position: from } : {}),
    ...(since !== undefined ? { since: parseSince(since, now) } : {}),
    ...(ctx.value('--job') ? { job_id: ctx.value('--job') } : {}),
    ...(types.length > 0 ? { types } : {}),
    ...(ctx.value('--user') ? { caller_cn: ctx.value('--user') } : {}),
    follow: ctx.cliArgv.includes('--follow') || ctx.cliArgv.includes('-f'),
  };
}

export async function events(ctx: Context): Promise<void> {
  const req = eventsRequest(ctx, new Date());
  await tailEvents(ctx, req, ctx.json ? formatEventJson : formatEventLine);
}

export function register(cli: CAC, ctx: Context): void {
  cli.command('events', 'Print the event log (audit trail): one line per event, or JSON lines with --json')
    .usage('events [--follow] [--since TIME|--from POS] [--job ID] [--type T,...] [--user CN] [--json]')
    .option('-f, --follow', 'After the history, keep printing new events as they happen (Ctrl-C stops)')
    .option('--since <time>', 'Events at or after a time: a duration ago (10m, 2h) or an RFC 3339 / "YYYY-MM-DD HH:MM:SS" time')
    .option('--from <position>', 'Events from this log position on')
    .option('--job <id>', 'One job\'s events (full id or a unique prefix of 8+ characters)')
    .option('--type <types>', 'Only these event types, comma-separated (e.g. JobSubmitted,RequestRejected)')
    .option('--user <cn>', 'Only events caused by this certificate CN')
    .action(() => events(ctx));
}
