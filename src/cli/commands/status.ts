// rnx job status <id>
import type { CAC } from 'cac';
import type { GetJobStatusRequest } from '../../gen/joblet/GetJobStatusRequest.js';
import type { GetJobStatusResponse__Output } from '../../gen/joblet/GetJobStatusResponse.js';
import { unary } from '../client.js';
import type { Context } from '../context.js';
import { formatStatus, statusJson } from '../format/status.js';

export async function jobStatus(ctx: Context, id: string): Promise<void> {
  const s = ctx.session();
  const res = await unary<GetJobStatusRequest, GetJobStatusResponse__Output>(s, 'GetJobStatus', s.jobs.GetJobStatus.bind(s.jobs), { uuid: id });
  ctx.out(ctx.json ? statusJson(res) : formatStatus(res, new Date()));
}

export function register(cli: CAC, ctx: Context): void {
  cli.command('status <id>', 'Show a job (full id or a unique prefix of 8+ characters)')
    .usage('job status <id> [--json]')
    .action((id: unknown) => jobStatus(ctx, String(id)));
}
