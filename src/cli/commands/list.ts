// rnx job list [--all-nodes]
import type { CAC } from 'cac';
import type { EmptyRequest } from '../../gen/joblet/EmptyRequest.js';
import type { Jobs__Output } from '../../gen/joblet/Jobs.js';
import type { ListAllNodeJobsRequest } from '../../gen/joblet/state/v1/ListAllNodeJobsRequest.js';
import type { ListAllNodeJobsResponse__Output } from '../../gen/joblet/state/v1/ListAllNodeJobsResponse.js';
import { unary } from '../client.js';
import type { Context } from '../context.js';
import { formatJobTable, jobListJson } from '../format/jobs.js';

export async function listJobs(ctx: Context): Promise<void> {
  const s = ctx.session();
  // --all-nodes asks this node for what every node replicated to the shared State backend
  // (joblet.state.v1.StateService); the NODE ID column then tells the nodes apart.
  const jobs = ctx.cliArgv.includes('--all-nodes')
    ? (await unary<ListAllNodeJobsRequest, ListAllNodeJobsResponse__Output>(s, 'ListAllNodeJobs', s.state.ListAllNodeJobs.bind(s.state), {})).jobs
    : (await unary<EmptyRequest, Jobs__Output>(s, 'ListJobs', s.jobs.ListJobs.bind(s.jobs), {})).jobs;
  ctx.out(ctx.json ? jobListJson(jobs) : formatJobTable(jobs));
}

export function register(cli: CAC, ctx: Context): void {
  cli.command('list', 'List jobs')
    .usage('job list [--all-nodes] [--json]')
    .option('--all-nodes', 'Jobs of every node, from the shared state backend (daemon state.backend: redis or dynamodb)')
    .action(() => listJobs(ctx));
}
