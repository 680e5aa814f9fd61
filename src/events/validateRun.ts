// Validation of a RunJob request at the API edge (DESIGN invariant 7): every problem is named by
// its field and rule, all problems are reported at once, and nothing reaches the log or the kernel
// unless the whole request is valid. Host facts and parsers arrive as data, so this stays pure.
import type { JobSpec, UploadInfo } from './job.js';
import { DomainError } from './errors.js';

export interface RunRequest {
  command: string;
  args: string[];
  maxCpu: number;
  cpuCores: string;
  maxMemory: number;
  maxIoBps: number;
  uploads: UploadInfo[];
  schedule: string;
  network: string;
  volumes: string[];
  runtime: string;
  workDir: string;
  environment: Record<string, string>;
  secretEnvironment: Record<string, string>;
  gpuCount: number;
  gpuMemoryMb: number;
  timeout: string;
}

export interface RunContext {
  now: number;
  cpuCount: number;
  hostMemoryMb: number;
  maxUploadBytes: number;
  defaultTimeoutMs: number;
  /** Highest max_cpu allowed (config joblet.maxCpuPercent); MAX_CPU_PERCENT when absent. */
  maxCpuPercent?: number;
  /** Whether jobs may ask for network "host" (config isolation.allowHostNetwork). */
  allowHostNetwork?: boolean;
  /** Parses `30s`, `5m`, `1h`; undefined when the text is not a duration. */
  parseDuration(text: string): number | undefined;
}

export const MAX_CPU_PERCENT = 10_000;
export const DEFAULT_WORK_DIR = '/work';
const NETWORKS = new Set(['', 'none']);
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;

export function validateRunRequest(req: RunRequest, ctx: RunContext): { spec: JobSpec; scheduledAt?: number } {
  const problems: string[] = [];
  const bad = (field: string, rule: string) => problems.push(`${field}: ${rule}`);

  if (req.command.trim() === '') bad('command', 'must not be empty');
  if (hasNul(req.command)) bad('command', 'must not contain NUL bytes');
  req.args.forEach((a, i) => hasNul(a) && bad(`args[${i}]`, 'must not contain NUL bytes'));

  intInRange(bad, 'max_cpu', req.maxCpu, 0, ctx.maxCpuPercent ?? MAX_CPU_PERCENT, 'percent of one core');
  intInRange(bad, 'max_memory', req.maxMemory, 0, ctx.hostMemoryMb, 'MiB, at most the host memory');
  intInRange(bad, 'max_io_bps', req.maxIoBps, 0, Number.MAX_SAFE_INTEGER, 'bytes per second');
  const cpuProblem = checkCpuList(req.cpuCores, ctx.cpuCount);
  if (cpuProblem) bad('cpu_cores', cpuProblem);
  intInRange(bad, 'gpu_count', req.gpuCount, 0, 0, 'this node has no GPUs');
  intInRange(bad, 'gpu_memory_mb', req.gpuMemoryMb, 0, 0, 'this node has no GPUs');

  checkEnv(bad, 'environment', req.environment);
  checkEnv(bad, 'secret_environment', req.secretEnvironment);
  for (const key of Object.keys(req.secretEnvironment)) {
    if (key in req.environment) bad('secret_environment', `${key} is also set in environment`);
  }

  req.uploads.forEach((u, i) => {
    const problem = checkRelativePath(u.path);
    if (problem) bad(`uploads[${i}].path`, problem);
    if (!Number.isInteger(u.mode) || u.mode < 0 || u.mode > 0o7777) bad(`uploads[${i}].mode`, 'must be a file mode between 0 and 07777');
  });

  if (req.network === 'host' && !ctx.allowHostNetwork) bad('network', 'host networking is disabled on this node (isolation.allowHostNetwork)');
  else if (req.network !== 'host' && !NETWORKS.has(req.network)) bad('network', `network "${req.network}" does not exist (available: none${ctx.allowHostNetwork ? ', host' : ''})`);
  req.volumes.forEach((v, i) => bad(`volumes[${i}]`, `volume "${v}" does not exist`));
  if (req.runtime !== '') bad('runtime', `runtime "${req.runtime}" is not installed`);

  const workDir = req.workDir === '' ? DEFAULT_WORK_DIR : req.workDir;
  if (!workDir.startsWith('/')) bad('work_dir', 'must be an absolute path inside the job');
  else if (workDir.split('/').includes('..')) bad('work_dir', 'must not contain ".." components');
  else if (workDir === '/' || /^\/(tmp|dev|proc|sys)(\/|$)/.test(workDir)) bad('work_dir', 'must not be / or under /tmp, /dev, /proc or /sys (those are mounted by the runtime)');
  if (hasNul(workDir)) bad('work_dir', 'must not contain NUL bytes');

  let timeoutMs = ctx.defaultTimeoutMs;
  if (req.timeout !== '') {
    const parsed = ctx.parseDuration(req.timeout);
    if (parsed === undefined || parsed < 0) bad('timeout', `must be a duration such as 30s, 5m or 1h (got "${req.timeout}")`);
    else timeoutMs = parsed;
  }

  let scheduledAt: number | undefined;
  if (req.schedule !== '') {
    const t = parseRfc3339(req.schedule);
    if (Number.isNaN(t)) bad('schedule', `must be an RFC 3339 time such as 2026-01-02T15:04:05Z (got "${req.schedule}")`);
    else if (t > ctx.now) scheduledAt = t;  // a time in the past means "run now"
  }

  if (problems.length > 0) throw new DomainError('INVALID_ARGUMENT', problems.join('; '));

  const total = req.uploads.reduce((sum, u) => sum + u.size, 0);
  if (total > ctx.maxUploadBytes) {
    throw new DomainError('RESOURCE_EXHAUSTED', `uploads: ${total} bytes in total exceeds the limit of ${ctx.maxUploadBytes} bytes`);
  }

  const spec: JobSpec = {
    command: req.command,
    args: req.args,
    maxCpu: req.maxCpu,
    cpuCores: req.cpuCores,
    maxMemory: req.maxMemory,
    maxIoBps: req.maxIoBps,
    environment: req.environment,
    secretKeys: Object.keys(req.secretEnvironment).sort(),
    uploads: req.uploads,
    workDir,
    network: req.network === '' ? 'none' : req.network,
    volumes: req.volumes,
    runtime: req.runtime,
    gpuCount: req.gpuCount,
    gpuMemoryMb: req.gpuMemoryMb,
    timeoutMs,
  };
  return scheduledAt === undefined ? { spec } : { spec, scheduledAt };
}

/**
 * Unix ms of an RFC 3339 time, NaN when it is not one. Date.parse alone is lenient: it rolls
 * 2026-02-30 over to March 2 and reads hour 24 and offset +25:00, which RFC 3339 (and Go's
 * time.Parse, which Joblet uses) refuse, so the fields are range-checked first.
 */
function parseRfc3339(s: string): number {
  const m = RFC3339.exec(s);
  if (!m) return NaN;
  const [y, mo, d, h, mi, sec] = m.slice(1, 7).map(Number);
  const day = new Date(Date.UTC(y, mo - 1, d));
  const calendarDay = mo >= 1 && mo <= 12 && day.getUTCMonth() === mo - 1 && day.getUTCDate() === d;
  const offsetOk = m[8] === undefined || (Number(m[8]) <= 23 && Number(m[9]) <= 59);
  if (!calendarDay || h > 23 || mi > 59 || sec > 59 || !offsetOk) return NaN;
  return Date.parse(s);
}

function hasNul(s: string): boolean {
  return s.includes('\0');
}

function intInRange(bad: (f: string, r: string) => void, field: string, v: number, min: number, max: number, unit: string) {
  if (!Number.isInteger(v) || v < min || v > max) bad(field, `must be an integer from ${min} to ${max} (${unit}, got ${v})`);
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function checkEnv(bad: (f: string, r: string) => void, field: string, env: Record<string, string>) {
  for (const [k, v] of Object.entries(env)) {
    if (!ENV_NAME.test(k)) bad(`${field}`, `name "${k.replace(/\0/g, '\\0')}" must match ${ENV_NAME.source} (no "=", no NUL)`);
    if (hasNul(v)) bad(`${field}`, `value of ${k} must not contain NUL bytes`);
  }
}

/** A path relative to the work dir that cannot climb out of it. */
export function checkRelativePath(p: string): string | undefined {
  if (p === '') return 'must not be empty';
  if (hasNul(p)) return 'must not contain NUL bytes';
  if (p.startsWith('/')) return 'must be relative to the work dir, not absolute';
  if (p.split('/').includes('..')) return 'must not contain ".." components';
  return undefined;
}

/** cpuset list syntax (`0-3`, `1,3,5`), each CPU present on this host; undefined when valid. */
export function checkCpuList(spec: string, cpuCount: number): string | undefined {
  if (spec === '') return undefined;
  for (const part of spec.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return `"${spec}" is not a CPU list such as 0-3 or 1,3,5`;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) return `range ${part} is reversed`;
    if (hi >= cpuCount) return `CPU ${hi} does not exist (this host has CPUs 0-${cpuCount - 1})`;
  }
  return undefined;
}
