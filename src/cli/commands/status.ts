// rnx job status <id>
import type { CAC } from 'cac';
import type { GetJobStatusRequest } from '../../gen/joblet/GetJobStatusRequest.js';
import type { GetJobStatusResponse__Output } from '../../gen/joblet/GetJobStatusResponse.js';
import { unary } from '../client.js';
import type { Context } from '../context.js';
import { ENDED, formatStatus, statusJson } from '../format/status.js';
import { tailEvents } from './events.js';

export async function jobStatus(ctx: Context, id: string): Promise<void> {
  const s = ctx.session();
  const res = await unary<GetJobStatusRequest, GetJobStatusResponse__Output>(s, 'GetJobStatus', s.jobs.GetJobStatus.bind(s.jobs), { uuid: id });
  const reason = ENDED.has(res.status) ? await endReason(ctx, res.uuid) : undefined;
  ctx.out(ctx.json ? statusJson(res, reason) : formatStatus(res, new Date(), reason));
}

/**
 * Why a job ended when its exit code does not say it (OOM kill, start failure, lost process):
 * Joblet's status message has no field for it, so it comes from our event tail. A server without
 * the EventService (Joblet itself) simply shows no reason.
 */
async function endReason(ctx: Context, uuid: string): Promise<string | undefined> {
  let reason: string | undefined;
  try {
    await tailEvents(ctx, { job_id: uuid, types: ['JobFinished'] }, (e) => { reason = e.finished?.reason || reason; return undefined; });
  } catch {
    return undefined;
  }
  return reason;
}

export function register(cli: CAC, ctx: Context): void {
  cli.command('status <id>', 'Show a job (full id or a unique prefix of 8+ characters)')
    .usage('job status <id> [--json]')
    .action((id: unknown) => jobStatus(ctx, String(id)));
}
