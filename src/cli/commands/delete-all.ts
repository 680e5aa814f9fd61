// rnx job delete-all
import type { CAC } from 'cac';
import type { DeleteAllJobsRequest } from '../../gen/joblet/DeleteAllJobsRequest.js';
import type { DeleteAllJobsResponse__Output } from '../../gen/joblet/DeleteAllJobsResponse.js';
import { unary } from '../client.js';
import type { Context } from '../context.js';
import { CliError } from '../errors.js';
import { formatDeletedAll } from '../format/confirm.js';
import { json } from '../format/text.js';

export async function deleteAllJobs(ctx: Context): Promise<void> {
  const s = ctx.session();
  const res = await unary<DeleteAllJobsRequest, DeleteAllJobsResponse__Output>(s, 'DeleteAllJobs', s.jobs.DeleteAllJobs.bind(s.jobs), {});
  if (!res.success) throw new CliError(`delete-all: ${res.message || 'the server did not delete the jobs'}`);
  ctx.out(ctx.json ? json(res) : formatDeletedAll(res));
}

export function register(cli: CAC, ctx: Context): void {
  cli.command('delete-all', 'Delete every finished job (running and scheduled jobs are kept)')
    .usage('job delete-all')
    .action(() => deleteAllJobs(ctx));
}
