// rnx job delete <id>
import type { CAC } from 'cac';
import type { DeleteJobRequest } from '../../gen/joblet/DeleteJobRequest.js';
import type { DeleteJobResponse__Output } from '../../gen/joblet/DeleteJobResponse.js';
import { unary } from '../client.js';
import type { Context } from '../context.js';
import { CliError } from '../errors.js';
import { formatDeleted } from '../format/confirm.js';
import { json } from '../format/text.js';

export async function deleteJob(ctx: Context, id: string): Promise<void> {
  const s = ctx.session();
  const res = await unary<DeleteJobRequest, DeleteJobResponse__Output>(s, 'DeleteJob', s.jobs.DeleteJob.bind(s.jobs), { uuid: id });
  // Joblet reports some refusals as success=false with a message instead of a status code.
  if (!res.success) throw new CliError(`delete ${id}: ${res.message || 'the server did not delete the job'}`);
  ctx.out(ctx.json ? json(res) : formatDeleted(res));
}

export function register(cli: CAC, ctx: Context): void {
  cli.command('delete <id>', 'Delete a finished job with its logs and metrics')
    .usage('job delete <id>')
    .action((id: unknown) => deleteJob(ctx, String(id)));
}
