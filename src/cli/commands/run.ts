// rnx job run [flags] <command> [args...]
import type { CAC } from 'cac';
import cliProgress from 'cli-progress';
import type { RunJobRequest } from '../../gen/joblet/RunJobRequest.js';
import type { RunJobResponse__Output } from '../../gen/joblet/RunJobResponse.js';
import { unary } from '../client.js';
import type { Context } from '../context.js';
import { formatSubmitted, submittedJson } from '../format/jobs.js';
import { buildRunRequest } from '../runRequest.js';
import { uploadSize } from '../uploads.js';

/** Below this, reading uploads is too quick for a progress bar to be anything but flicker. */
const PROGRESS_MIN_BYTES = 4 * 1024 * 1024;
/** Big uploads travel in the one RunJob message; give them more than the default deadline. */
const UPLOAD_DEADLINE_MS = 10 * 60_000;

// A bar only when a person is watching: scripts read stdout and must see no control codes.
async function progressFor(ctx: Context, paths: string[]): Promise<cliProgress.SingleBar | undefined> {
  const { stdout, stderr } = ctx.io;
  if (!stdout.isTTY || !stderr.isTTY || paths.length === 0 || ctx.json) return undefined;
  const total = await uploadSize(paths, ctx.io.cwd);
  if (total < PROGRESS_MIN_BYTES) return undefined;
  const bar = new cliProgress.SingleBar({
    stream: stderr as NodeJS.WritableStream, format: 'reading uploads [{bar}] {percentage}% {value}/{total} bytes', clearOnComplete: true,
  }, cliProgress.Presets.shades_classic);
  bar.start(total, 0);
  return bar;
}

export async function runJob(ctx: Context): Promise<void> {
  const bar = await progressFor(ctx, [...ctx.values('--upload'), ...ctx.values('--upload-dir')]);
  let read = 0;
  let plan;
  try {
    plan = await buildRunRequest(ctx, ctx.jobArgv, ctx.io.cwd, new Date(), (n) => bar?.update((read += n)));
  } finally {
    bar?.stop();
  }
  const s = ctx.session();
  const deadline = plan.bytes > 0 ? UPLOAD_DEADLINE_MS : undefined;
  const res = await unary<RunJobRequest, RunJobResponse__Output>(s, 'RunJob', s.jobs.RunJob.bind(s.jobs), plan.request, deadline);
  const req = plan.request;
  const submitted = {
    uuid: res.job_uuid, status: res.status, command: req.command!, args: req.args ?? [],
    scheduled: req.schedule, files: plan.files,
    envCount: Object.keys(req.environment ?? {}).length + Object.keys(req.secret_environment ?? {}).length,
  };
  ctx.out(ctx.json ? submittedJson(submitted) : formatSubmitted(submitted));
}

export function register(cli: CAC, ctx: Context): void {
  cli.command('run', 'Run a command as a job: rnx job run [flags] <command> [args...]')
    .usage('job run [flags] <command> [args...]   (flags come before the command; -- ends them)')
    .option('--max-cpu <percent>', 'CPU limit in percent of one core (100 = one core)')
    .option('--max-memory <MB>', 'Memory limit in MiB (or 512MB, 2GB)')
    .option('--max-iobps <bytes>', 'IO limit in bytes per second')
    .option('--cpu-cores <list>', 'CPU cores to pin to, e.g. 0-3 or 1,3')
    .option('--upload <path>', 'Upload a file or directory into the work dir (repeatable)')
    .option('--upload-dir <path>', 'Upload a directory (old spelling of --upload)')
    .option('--runtime <name>', 'Runtime to run in')
    .option('--volume <name>', 'Volume to mount (repeatable)')
    .option('--network <name>', 'Network to join')
    .option('-e, --env <KEY=VALUE>', 'Environment variable (repeatable)')
    .option('-s, --secret-env <KEY=VALUE>', 'Secret environment variable, never shown (repeatable)')
    .option('--schedule <when>', 'Run later: 30s, 5min, 2h30m, or an RFC 3339 / "YYYY-MM-DD HH:MM:SS" time')
    .option('--timeout <duration>', 'Kill the job after this long, e.g. 30s, 5m, 1h')
    .option('--gpu <count>', 'Number of GPUs')
    .option('--gpu-memory <size>', 'GPU memory needed, e.g. 8GB')
    .option('--workdir <path>', 'Work directory inside the job')
    .action(() => runJob(ctx));
}
