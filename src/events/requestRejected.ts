// A request the API refused, recorded as an audit fact. It changes no job state (evolve passes it
// through), so "a refused request writes nothing" still holds for job state: what is written is
// who asked for what and why it was refused (docs/decisions/0005-rejections-are-audit-facts.md).
import type { Caller } from './job.js';

/** The refusals that are recorded; see the decision record for why these and not others. */
export const RECORDED_REJECTIONS = ['PERMISSION_DENIED', 'INVALID_ARGUMENT', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'NOT_FOUND'] as const;
export type RejectionCode = (typeof RECORDED_REJECTIONS)[number];

/**
 * The caller of a refused request. Unlike a command's Caller the role may be `unknown`: a
 * certificate signed by our CA whose OU names no role is refused, and is worth recording.
 */
export interface RejectedCaller {
  cn: string;
  role: Caller['role'] | 'unknown';
  /** The certificate's OU as written, when it named no role. */
  ou?: string;
  peer?: string;
}

export interface RequestRejected {
  type: 'RequestRejected';
  /** Set only when the request named a job that exists, so the job's history shows the attempt. */
  jobId?: string;
  at: number;
  by: RejectedCaller;
  /** Full gRPC method name, e.g. "joblet.JobService/RunJob". */
  method: string;
  code: RejectionCode;
  message: string;
  /** A bounded summary of the request: secret values are `***`, byte fields are their length. */
  request: Record<string, unknown>;
}

export function isRecordedRejection(code: string): code is RejectionCode {
  return (RECORDED_REJECTIONS as readonly string[]).includes(code);
}
