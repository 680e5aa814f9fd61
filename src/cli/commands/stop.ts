// rnx job stop <id>
import type { CAC } from 'cac';
import type { StopJobRequest } from '../../gen/joblet/StopJobRequest.js';
import type { StopJobResponse__Output } from '../../gen/joblet/StopJobResponse.js';
import { unary } from '../client.js';
import type { Context } from '../context.js';
import { formatStopped } from '../format/confirm.js';
import { json } from '../format/text.js';

export async function stopJob(ctx: Context, id: string): Promise<void> {
  const s = ctx.session();
  const res = await unary<StopJobRequest, StopJobResponse__Output>(s, 'StopJob', s.jobs.StopJob.bind(s.jobs), { uuid: id });
  ctx.out(ctx.json ? json(res) : formatStopped(res));
}

export function register(cli: CAC, ctx: Context): void {
  cli.command('stop <id>', 'Stop a running job (SIGTERM, then SIGKILL after a grace period)')
    .usage('job stop <id>')
    .action((id: unknown) => stopJob(ctx, String(id)));
}
