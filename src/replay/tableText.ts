// The job table for a terminal, with the columns `rnx job list` shows plus the end and exit code
// (history is what replay is for). Times are UTC RFC 3339: replay output is read next to logs.
import type { Job } from '../events/job.js';

const COMMAND_WIDTH = 60;

export function formatJobTable(jobs: readonly Job[]): string {
  if (jobs.length === 0) return 'No jobs found\n';
  const header = ['ID', 'STATUS', 'SUBMITTED', 'STARTED', 'ENDED', 'EXIT', 'BY', 'COMMAND'];
  const rows = jobs.map((j) => [
    j.id, j.status, iso(j.submittedAt), iso('startedAt' in j ? j.startedAt : undefined),
    iso('endedAt' in j ? j.endedAt : undefined), 'exitCode' in j ? String(j.exitCode) : '-',
    j.submittedBy.cn, clip([j.spec.command, ...j.spec.args].join(' ')),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

const iso = (ms: number | undefined) => (ms === undefined ? '-' : new Date(ms).toISOString());
const clip = (s: string) => (s.length <= COMMAND_WIDTH ? s : `${s.slice(0, COMMAND_WIDTH - 3)}...`).replace(/[\r\n\t]+/g, ' ');
