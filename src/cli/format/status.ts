// Output of `rnx job status`. `Job ID:`, `Command:`, `Status:` and `  Exit Code:` (under `Result:`)
// are parsed by existing scripts (spec/rnx-cli.md); the other sections are for people.
import type { GetJobStatusResponse__Output as JobStatus } from '../../gen/joblet/GetJobStatusResponse.js';
import { commandLine, displayDuration, displayTime, json } from './text.js';

/** States in which the process ran and ended, so an exit code means something. A CANCELED job never ran. */
export const ENDED = new Set(['COMPLETED', 'FAILED', 'STOPPED', 'TIMEOUT']);

const sorted = (m: Record<string, string>) => Object.keys(m).sort();

function section(title: string, lines: string[]): string[] {
  return lines.length === 0 ? [] : ['', `${title}:`, ...lines.map((l) => `  ${l}`)];
}

function timing(s: JobStatus, now: Date): string[] {
  const lines: string[] = [];
  if (s.scheduled_time) lines.push(`Scheduled: ${displayTime(s.scheduled_time)}`);
  if (s.start_time) lines.push(`Started: ${displayTime(s.start_time)}`);
  if (s.end_time) lines.push(`Ended: ${displayTime(s.end_time)}`);
  const start = Date.parse(s.start_time);
  if (!Number.isNaN(start)) {
    const end = s.end_time ? Date.parse(s.end_time) : now.getTime();
    if (!Number.isNaN(end)) lines.push(`Duration: ${displayDuration(end - start)}${s.end_time ? '' : ' (running)'}`);
  }
  return lines;
}

function limits(s: JobStatus): string[] {
  const lines: string[] = [];
  if (s.max_cpu > 0) lines.push(`Max CPU: ${s.max_cpu}%`);
  if (s.cpu_cores) lines.push(`CPU Cores: ${s.cpu_cores}`);
  if (s.max_memory > 0) lines.push(`Max Memory: ${s.max_memory} MB`);
  if (s.max_io_bps > 0) lines.push(`Max IO: ${s.max_io_bps} B/s`);
  if (s.gpu_count > 0) lines.push(`GPUs: ${s.gpu_count}${s.gpu_indices.length ? ` (${s.gpu_indices.join(', ')})` : ''}`);
  if (s.gpu_memory_mb > 0) lines.push(`GPU Memory: ${s.gpu_memory_mb} MB`);
  return lines;
}

export function formatStatus(s: JobStatus, now: Date, reason?: string): string {
  const lines = [`Job ID: ${s.uuid}`, `Command: ${commandLine(s.command, s.args)}`, `Status: ${s.status}`];
  if (s.node_id) lines.push(`Node ID: ${s.node_id}`);
  lines.push(...section('Timing', timing(s, now)));
  lines.push(...section('Resource Limits', limits(s)));
  const setup: string[] = [];
  if (s.network) setup.push(`Network: ${s.network}`);
  if (s.volumes.length) setup.push(`Volumes: ${s.volumes.join(', ')}`);
  if (s.runtime) setup.push(`Runtime: ${s.runtime}`);
  if (s.work_dir) setup.push(`Work Dir: ${s.work_dir}`);
  lines.push(...section('Execution', setup));
  lines.push(...section('Uploads', s.uploads));
  // Secrets are masked here as well as by the server: a terminal is no place for them either way.
  const env = [...sorted(s.environment).map((k) => `${k}=${s.environment[k]}`), ...sorted(s.secret_environment).map((k) => `${k}=*** (secret)`)];
  lines.push(...section('Environment', env));
  if (ENDED.has(s.status)) lines.push('', 'Result:', `  Exit Code: ${s.exit_code}`, ...(reason ? [`  Reason: ${reason}`] : []));
  return lines.join('\n') + '\n';
}

const masked = (m: Record<string, string>) => Object.fromEntries(sorted(m).map((k) => [k, '***']));

/** --json: one object with camelCase keys, as Joblet's rnx prints it. */
export function statusJson(s: JobStatus, reason?: string): string {
  return json({
    uuid: s.uuid, nodeId: s.node_id, command: s.command, args: s.args, status: s.status,
    startTime: s.start_time, endTime: s.end_time, exitCode: s.exit_code, scheduledTime: s.scheduled_time,
    environment: s.environment, secretEnvironment: masked(s.secret_environment),
    maxCPU: s.max_cpu, cpuCores: s.cpu_cores, maxMemory: s.max_memory, maxIOBPS: s.max_io_bps,
    network: s.network, volumes: s.volumes, runtime: s.runtime, workDir: s.work_dir, uploads: s.uploads,
    gpuIndices: s.gpu_indices, gpuCount: s.gpu_count, gpuMemoryMB: s.gpu_memory_mb,
    ...(reason ? { reason } : {}),
  });
}
