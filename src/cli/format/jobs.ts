// Output of `rnx job run` and `rnx job list`. The `ID:` and `Status:` lines of the run block are
// parsed by existing scripts (spec/rnx-cli.md), so their spelling is fixed.
import type { Job__Output } from '../../gen/joblet/Job.js';
import { commandLine, displayTime, json, table, truncate } from './text.js';

export interface Submitted {
  uuid: string;
  status: string;
  command: string;
  args: string[];
  /** RFC 3339, when --schedule was given. */
  scheduled?: string;
  files: number;
  envCount: number;
}

export function formatSubmitted(s: Submitted): string {
  const lines = ['Job submitted:', `ID: ${s.uuid}`, `Command: ${commandLine(s.command, s.args)}`, `Status: ${s.status}`];
  if (s.scheduled) lines.push(`Scheduled: ${displayTime(s.scheduled)} (${s.scheduled})`);
  if (s.files > 0) lines.push(`Files: ${s.files} uploaded`);
  if (s.envCount > 0) lines.push(`Environment: ${s.envCount} variables set`);
  return lines.join('\n') + '\n';
}

export function submittedJson(s: Submitted): string {
  return json({
    job_uuid: s.uuid, status: s.status, command: s.command, args: s.args,
    ...(s.scheduled ? { scheduled_time: s.scheduled } : {}),
    ...(s.files > 0 ? { files_uploaded: s.files } : {}),
    ...(s.envCount > 0 ? { environment_variables: s.envCount } : {}),
  });
}

export const LIST_COMMAND_WIDTH = 80;

export function formatJobTable(jobs: readonly Job__Output[]): string {
  if (jobs.length === 0) return 'No jobs found\n';
  const rows = jobs.map((j) => [
    j.uuid, j.node_id || '-', j.status, displayTime(j.start_time),
    truncate(commandLine(j.command, j.args), LIST_COMMAND_WIDTH),
  ]);
  return table(['ID', 'NODE ID', 'STATUS', 'START TIME', 'COMMAND'], rows);
}

/** One list entry for --json: the wire's snake_case names, with `id` for the uuid. */
export function jobJson(j: Job__Output): Record<string, unknown> {
  return {
    id: j.uuid, node_id: j.node_id, status: j.status,
    start_time: j.start_time, end_time: j.end_time, scheduled_time: j.scheduled_time,
    command: j.command, args: j.args, exit_code: j.exit_code,
    max_cpu: j.max_cpu, cpu_cores: j.cpu_cores, max_memory: j.max_memory, max_io_bps: j.max_io_bps,
    runtime: j.runtime, environment: j.environment, secret_environment: j.secret_environment,
    gpu_indices: j.gpu_indices, gpu_count: j.gpu_count, gpu_memory_mb: j.gpu_memory_mb,
  };
}

export function jobListJson(jobs: readonly Job__Output[]): string {
  return json(jobs.map(jobJson));
}
