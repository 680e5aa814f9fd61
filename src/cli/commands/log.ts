// rnx job log <id>: the job's output so far, then live output until the job ends. Without flags it
// is Joblet's GetJobLogs: raw bytes, nothing added, so `rnx job log ID > out.txt` is exactly what
// the job wrote. Any of --stream/--stdout/--stderr, --timestamps, --tail, --since, --no-follow goes
// through our joblet.logs.v1 StreamLogs instead; both streams are still written to stdout.
import * as grpc from '@grpc/grpc-js';
import type { CAC } from 'cac';
import type { DataChunk__Output } from '../../gen/joblet/DataChunk.js';
import type { LogChunk__Output } from '../../gen/joblet/logs/v1/LogChunk.js';
import type { StreamLogsRequest } from '../../gen/joblet/logs/v1/StreamLogsRequest.js';
import { logsProto } from '../../proto.js';
import type { Context } from '../context.js';
import { CliError, toCliError } from '../errors.js';
import { parseSince } from './events.js';
import { LineStamper } from '../format/logTimestamps.js';

/** What the flags ask for; undefined when none was given (the raw GetJobLogs path). */
export interface LogFlags {
  streams: ('stdout' | 'stderr')[];
  timestamps: boolean;
  tail?: number;
  sinceMs?: number;
  follow: boolean;
}

export function logFlags(ctx: Context, now: Date): LogFlags | undefined {
  const argv = ctx.cliArgv;
  const streams = new Set<'stdout' | 'stderr'>();
  for (const v of ctx.values('--stream').flatMap((s) => s.split(',')).map((s) => s.trim())) {
    if (v === 'both') { streams.add('stdout'); streams.add('stderr'); } else if (v === 'stdout' || v === 'stderr') streams.add(v);
    else throw new CliError(`--stream: "${v}" is not a stream; use stdout, stderr or both`, 2);
  }
  if (argv.includes('--stdout')) streams.add('stdout');
  if (argv.includes('--stderr')) streams.add('stderr');
  const tailText = ctx.value('--tail');
  if (tailText !== undefined && !/^\d+$/.test(tailText)) throw new CliError(`--tail: "${tailText}" is not a line count (a whole number from 0)`, 2);
  const sinceText = ctx.value('--since');
  const followText = ctx.value('--follow');
  if (followText !== undefined && followText !== 'true' && followText !== 'false') throw new CliError(`--follow: "${followText}" is not true or false`, 2);
  const follow = !(argv.includes('--no-follow') || followText === 'false');
  const flags: LogFlags = {
    streams: [...streams],
    timestamps: argv.includes('--timestamps'),
    ...(tailText !== undefined ? { tail: Number(tailText) } : {}),
    ...(sinceText !== undefined ? { sinceMs: Date.parse(parseSince(sinceText, now)) } : {}),
    follow,
  };
  const plain = flags.streams.length === 0 && !flags.timestamps && flags.tail === undefined && flags.sinceMs === undefined && flags.follow;
  return plain ? undefined : flags;
}

export async function jobLog(ctx: Context, id: string): Promise<void> {
  const flags = logFlags(ctx, new Date());
  if (flags) return streamLogs(ctx, id, flags);
  const s = ctx.session();
  // No deadline: following a running job's output can last as long as the job.
  const call = s.jobs.GetJobLogs({ uuid: id });
  await pipe(ctx, call, 'GetJobLogs', (chunk: DataChunk__Output) => chunk.payload);
}

async function streamLogs(ctx: Context, id: string, flags: LogFlags): Promise<void> {
  const s = ctx.session();
  // Same channel as the session's other clients: one connection, one TLS handshake.
  const client = new (logsProto().joblet.logs.v1.LogService)(s.node.address, grpc.credentials.createInsecure(), { channelOverride: s.jobs.getChannel() });
  const req: StreamLogsRequest = {
    job_uuid: id,
    streams: flags.streams,
    follow: flags.follow,
    ...(flags.sinceMs !== undefined ? { since: String(flags.sinceMs) } : {}),
    ...(flags.tail !== undefined ? { tail_lines: flags.tail } : {}),
  };
  const stamper = flags.timestamps ? new LineStamper() : undefined;
  // Not closed here: closing this client would close the session's shared channel; ctx.close() does.
  await pipe(ctx, client.StreamLogs(req), 'StreamLogs', (chunk: LogChunk__Output) => {
    if (!stamper) return chunk.payload;
    const at = Number(BigInt(chunk.timestamp) / 1_000_000n);
    return stamper.stamp(chunk.stream === 'stderr' ? 'stderr' : 'stdout', chunk.payload, at);
  });
}

/**
 * Writes each message's bytes to stdout. While stdout is full the call is paused, so a slow
 * reader costs no memory here; `rnx job log ID | head` closing stdout ends following, not a failure.
 */
function pipe<T>(ctx: Context, call: grpc.ClientReadableStream<T>, what: string, bytesOf: (m: T) => Uint8Array): Promise<void> {
  const s = ctx.session();
  const out = ctx.io.stdout;
  return new Promise<void>((resolve, reject) => {
    const onOutError = (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') { call.cancel(); resolve(); } else reject(err);
    };
    (out as Partial<NodeJS.WritableStream>).on?.('error', onOutError);
    call.on('data', (m: T) => {
      const bytes = bytesOf(m);
      if (bytes.length === 0) return;
      if (!out.write(bytes)) {
        call.pause();
        out.once('drain', () => call.resume());
      }
    });
    call.on('end', () => resolve());
    call.on('error', (err) => {
      try { reject(toCliError(err, s.site(what))); } catch (bug) { reject(bug); }
    });
  });
}

export function register(cli: CAC, ctx: Context): void {
  cli.command('log <id>', 'Print a job\'s output, then follow it until the job ends (Ctrl-C stops)')
    .usage('job log <id> [--stream stdout|stderr] [--timestamps] [--tail N] [--since 10m|TIME] [--no-follow]')
    .option('--stream <name>', 'Only this stream: stdout, stderr or both (also --stdout, --stderr)')
    .option('--stdout', 'Only stdout')
    .option('--stderr', 'Only stderr')
    .option('--timestamps', 'Prefix each line with the RFC 3339 time it was captured')
    .option('--tail <n>', 'Of the output so far, only the last N lines (then live output unless --no-follow)')
    .option('--since <time>', 'Only output captured since a duration ago (10m, 2h) or an RFC 3339 / "YYYY-MM-DD HH:MM:SS" time')
    .option('-f, --follow', 'Follow live output until the job ends (the default; --no-follow or --follow=false stops at the output so far)')
    .action((id: unknown) => jobLog(ctx, String(id)));
}
