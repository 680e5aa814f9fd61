// rnx job cancel <id>
import type { CAC } from 'cac';
import type { CancelJobRequest } from '../../gen/joblet/CancelJobRequest.js';
import type { CancelJobResponse__Output } from '../../gen/joblet/CancelJobResponse.js';
import { unary } from '../client.js';
import type { Context } from '../context.js';
import { formatCanceled } from '../format/confirm.js';
import { json } from '../format/text.js';

export async function cancelJob(ctx: Context, id: string): Promise<void> {
  const s = ctx.session();
  const res = await unary<CancelJobRequest, CancelJobResponse__Output>(s, 'CancelJob', s.jobs.CancelJob.bind(s.jobs), { uuid: id });
  ctx.out(ctx.json ? json(res) : formatCanceled(res));
}

export function register(cli: CAC, ctx: Context): void {
  cli.command('cancel <id>', 'Cancel a scheduled job before it runs')
    .usage('job cancel <id>')
    .action((id: unknown) => cancelJob(ctx, String(id)));
}
