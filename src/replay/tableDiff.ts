// What changed in the job table between two points of the log, compared on the wire shape (what
// ListJobs shows), so a difference here is a difference a client would have seen.
import type { JobTable } from '../projections/jobTable.js';
import type { Job as WireJob } from '../gen/joblet/Job.js';
import { toWireJob } from '../api/jobWire.js';

export interface JobChange { id: string; fields: Record<string, [unknown, unknown]> }

export interface TableDiff {
  added: WireJob[];
  removed: WireJob[];
  changed: JobChange[];
}

export function diffTables(a: JobTable, b: JobTable): TableDiff {
  const before = new Map(a.list().map((j) => [j.id, toWireJob(j)]));
  const after = new Map(b.list().map((j) => [j.id, toWireJob(j)]));
  const diff: TableDiff = { added: [], removed: [], changed: [] };
  for (const [id, job] of after) {
    const old = before.get(id);
    if (!old) { diff.added.push(job); continue; }
    const fields: Record<string, [unknown, unknown]> = {};
    for (const key of Object.keys(job) as (keyof WireJob)[]) {
      if (JSON.stringify(old[key]) !== JSON.stringify(job[key])) fields[key] = [old[key], job[key]];
    }
    if (Object.keys(fields).length > 0) diff.changed.push({ id, fields });
  }
  for (const [id, job] of before) if (!after.has(id)) diff.removed.push(job);
  return diff;
}

export function formatDiff(d: TableDiff): string {
  const lines: string[] = [];
  for (const j of d.added) lines.push(`+ ${j.uuid}  ${j.status}  ${[j.command, ...(j.args ?? [])].join(' ')}`);
  for (const c of d.changed) {
    const parts = Object.entries(c.fields).map(([k, [x, y]]) => `${k} ${show(x)} -> ${show(y)}`);
    lines.push(`~ ${c.id}  ${parts.join(', ')}`);
  }
  for (const j of d.removed) lines.push(`- ${j.uuid}  ${j.status}  (deleted)`);
  return lines.length ? lines.join('\n') + '\n' : 'no changes to the job table\n';
}

const show = (v: unknown) => (v === '' ? '""' : typeof v === 'string' ? v : JSON.stringify(v));
