// rnx job list
import type { CAC } from 'cac';
import type { EmptyRequest } from '../../gen/joblet/EmptyRequest.js';
import type { Jobs__Output } from '../../gen/joblet/Jobs.js';
import { unary } from '../client.js';
import type { Context } from '../context.js';
import { formatJobTable, jobListJson } from '../format/jobs.js';

export async function listJobs(ctx: Context): Promise<void> {
  const s = ctx.session();
  const res = await unary<EmptyRequest, Jobs__Output>(s, 'ListJobs', s.jobs.ListJobs.bind(s.jobs), {});
  ctx.out(ctx.json ? jobListJson(res.jobs) : formatJobTable(res.jobs));
}

export function register(cli: CAC, ctx: Context): void {
  cli.command('list', 'List jobs').usage('job list [--json]').action(() => listJobs(ctx));
}
