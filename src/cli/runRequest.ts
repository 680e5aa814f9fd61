// Turns `rnx job run` flags into a RunJobRequest. Every value is checked here so a typo fails
// with "Error: --flag: ..." before anything is read from disk or sent.
import type { RunJobRequest } from '../gen/joblet/RunJobRequest.js';
import { CliError } from './errors.js';
import { checkTimeout, parseSchedule } from './schedule.js';
import { collectUploads, type OnRead } from './uploads.js';

export interface FlagSource {
  values(...names: string[]): string[];
  value(...names: string[]): string | undefined;
}

const INT32_MAX = 2 ** 31 - 1;

export function wholeNumber(flag: string, text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new CliError(`${flag}: "${text}" is not a whole number`);
  const n = Number(text.trim());
  if (n > INT32_MAX) throw new CliError(`${flag}: ${text} is too large (at most ${INT32_MAX})`);
  return n;
}

const MB_PER_UNIT: Record<string, number> = { '': 1, m: 1, mb: 1, mib: 1, g: 1024, gb: 1024, gib: 1024, t: 1024 * 1024, tb: 1024 * 1024, tib: 1024 * 1024 };

/** A size in MiB: `512` (MiB), `512MB`, `8GB`, `1.5G`. */
export function sizeMb(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-zA-Z]*)$/.exec(text.trim());
  const unit = m ? MB_PER_UNIT[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new CliError(`${flag}: "${text}" is not a size (like 512, 512MB, 8GB)`);
  const mb = Math.round(Number(m[1]) * unit);
  if (mb > INT32_MAX) throw new CliError(`${flag}: ${text} is too large`);
  return mb;
}

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function envPairs(flag: string, items: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf('=');
    const key = eq < 0 ? item : item.slice(0, eq);
    if (eq < 0 || !ENV_KEY.test(key)) throw new CliError(`${flag}: "${flag.startsWith('--secret') ? key : item}" is not KEY=VALUE with KEY made of letters, digits and _`);
    env[key] = item.slice(eq + 1);
  }
  return env;
}

export interface RunPlan {
  request: RunJobRequest;
  files: number;
  bytes: number;
}

/** Builds the request; `job` is the command and its args exactly as typed after the flags. */
export async function buildRunRequest(flags: FlagSource, job: readonly string[], cwd: string, now: Date, onRead?: OnRead): Promise<RunPlan> {
  if (job.length === 0 || job[0] === '') throw new CliError('job run: no command given; usage: rnx job run [flags] <command> [args...]');
  const num = (flag: string) => { const v = flags.value(flag); return v === undefined ? undefined : wholeNumber(flag, v); };
  const str = (flag: string) => { const v = flags.value(flag); return v === undefined || v === '' ? undefined : v; };
  const scheduleSpec = flags.value('--schedule');
  const timeout = flags.value('--timeout');
  const memory = flags.value('--max-memory');
  const gpuMemory = flags.value('--gpu-memory');
  const request: RunJobRequest = {
    command: job[0],
    args: job.slice(1),
    max_cpu: num('--max-cpu'),
    max_memory: memory === undefined ? undefined : sizeMb('--max-memory', memory),
    max_io_bps: num('--max-iobps'),
    cpu_cores: str('--cpu-cores'),
    runtime: str('--runtime'),
    network: str('--network'),
    volumes: flags.values('--volume'),
    work_dir: str('--workdir'),
    environment: envPairs('--env', flags.values('-e', '--env')),
    secret_environment: envPairs('--secret-env', flags.values('-s', '--secret-env')),
    schedule: scheduleSpec === undefined ? undefined : parseSchedule(scheduleSpec, now),
    timeout: timeout === undefined ? undefined : checkTimeout(timeout),
    gpu_count: num('--gpu'),
    gpu_memory_mb: gpuMemory === undefined ? undefined : sizeMb('--gpu-memory', gpuMemory),
  };
  const items = [
    ...flags.values('--upload').map((path) => ({ flag: '--upload', path })),
    ...flags.values('--upload-dir').map((path) => ({ flag: '--upload-dir', path })),
  ];
  const plan = await collectUploads(items, cwd, onRead);
  request.uploads = plan.uploads;
  return { request, files: plan.files, bytes: plan.bytes };
}
