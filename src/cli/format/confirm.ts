// The one-block confirmations of stop, cancel, delete and delete-all. `ID:` and `Status:` lines
// follow the same spelling as the run block so one parser reads them all.
import type { StopJobResponse__Output } from '../../gen/joblet/StopJobResponse.js';
import type { CancelJobResponse__Output } from '../../gen/joblet/CancelJobResponse.js';
import type { DeleteJobResponse__Output } from '../../gen/joblet/DeleteJobResponse.js';
import type { DeleteAllJobsResponse__Output } from '../../gen/joblet/DeleteAllJobsResponse.js';
import { displayTime } from './text.js';

export function formatStopped(r: StopJobResponse__Output): string {
  const lines = ['Job stopped successfully:', `ID: ${r.uuid}`, `Status: ${r.status}`];
  if (r.end_time) lines.push(`End Time: ${displayTime(r.end_time)}`);
  return lines.join('\n') + '\n';
}

export function formatCanceled(r: CancelJobResponse__Output): string {
  return ['Job canceled successfully:', `ID: ${r.uuid}`, `Status: ${r.status}`].join('\n') + '\n';
}

export function formatDeleted(r: DeleteJobResponse__Output): string {
  const lines = ['Job deleted successfully:', `ID: ${r.uuid}`];
  if (r.message) lines.push(`Message: ${r.message}`);
  return lines.join('\n') + '\n';
}

export function formatDeletedAll(r: DeleteAllJobsResponse__Output): string {
  const lines = ['Jobs deleted successfully:', `Deleted: ${r.deleted_count}`, `Skipped: ${r.skipped_count}`];
  if (r.message) lines.push(`Message: ${r.message}`);
  return lines.join('\n') + '\n';
}
