// rnx job log <id>: the job's output so far, then live output until the job ends. Raw bytes, nothing
// added, so `rnx job log ID > out.txt` is exactly what the job wrote.
import type { CAC } from 'cac';
import type { DataChunk__Output } from '../../gen/joblet/DataChunk.js';
import type { Context } from '../context.js';
import { toCliError } from '../errors.js';

export async function jobLog(ctx: Context, id: string): Promise<void> {
  const s = ctx.session();
  const out = ctx.io.stdout;
  // No deadline: following a running job's output can last as long as the job.
  const call = s.jobs.GetJobLogs({ uuid: id });
  await new Promise<void>((resolve, reject) => {
    // `rnx job log ID | head` closes our stdout early; that ends following, it is not a failure.
    const onOutError = (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') { call.cancel(); resolve(); } else reject(err);
    };
    (out as Partial<NodeJS.WritableStream>).on?.('error', onOutError);
    call.on('data', (chunk: DataChunk__Output) => {
      if (chunk.payload.length === 0) return;
      // Stop reading from the server while stdout is full, so a slow reader costs no memory.
      if (!out.write(chunk.payload)) {
        call.pause();
        out.once('drain', () => call.resume());
      }
    });
    call.on('end', () => resolve());
    call.on('error', (err) => {
      try { reject(toCliError(err, s.site('GetJobLogs'))); } catch (bug) { reject(bug); }
    });
  });
}

export function register(cli: CAC, ctx: Context): void {
  cli.command('log <id>', 'Print a job\'s output, then follow it until the job ends (Ctrl-C stops)')
    .usage('job log <id>')
    .action((id: unknown) => jobLog(ctx, String(id)));
}
