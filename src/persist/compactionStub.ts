// What log compaction may rewrite and what a legal stub looks like. Compaction empties the bytes
// of old output events once the persist service has stored them elsewhere, keeping the position,
// the type and every other field, so the log stays dense and lifecycle events are never touched.
// The stub cannot reproduce the chain hash of the original (that hash covers the bytes that were
// dropped), so verification trusts a stub's stored hash instead of recomputing it; these rules are
// what keeps that trust narrow. See docs/decisions/0013-compaction-stubs-in-the-hash-chain.md.
import { decodeEnvelope } from './codec.js';

/** The only event type compaction rewrites: job output, whose `data` is the bulk of the log. */
export const COMPACTABLE_TYPE = 'JobOutputWritten';
/** The checkpoint (checkpoints db) holding the last position compaction has examined. */
export const COMPACTION_CHECKPOINT = 'compaction';

interface OutputLike { type: string; data?: unknown; compactedBytes?: unknown }

/**
 * The stub that replaces an event, or undefined when the event stays as it is: another type,
 * no bytes to free, or already compacted.
 */
export function stubFor<E extends { type: string }>(event: E): E | undefined {
  const e = event as unknown as OutputLike;
  if (e.type !== COMPACTABLE_TYPE || e.compactedBytes !== undefined) return undefined;
  if (!(e.data instanceof Uint8Array) || e.data.length === 0) return undefined;
  const stub = { ...event, data: new Uint8Array(0), compactedBytes: e.data.length };
  // An event that would not make a legal stub (no job, no stream) stays whole: verify would
  // otherwise report the stub as forged.
  return eventProblem(stub) === undefined ? stub : undefined;
}

/** Whether stored event bytes carry the stub marker (`c: 1` in the envelope). */
export function isMarkedStub(bytes: Uint8Array): boolean {
  try {
    return decodeEnvelope(bytes)?.c === 1;
  } catch {
    return false;
  }
}

/**
 * Why stored bytes marked as a stub are not a legal one, or undefined when they are: a stub must
 * be an output event (never a lifecycle event), with empty `data` and a byte count.
 */
export function stubProblem(bytes: Uint8Array): string | undefined {
  let env: { v?: unknown; e?: unknown; c?: unknown };
  try {
    env = decodeEnvelope(bytes) as typeof env;
  } catch (err) {
    return `its bytes are not MessagePack (${err instanceof Error ? err.message : String(err)})`;
  }
  if (env === null || typeof env !== 'object' || env.c !== 1) return 'it is not marked as a compaction stub';
  if (typeof env.v !== 'number') return 'its envelope has no schema version';
  return eventProblem(env.e);
}

function eventProblem(event: unknown): string | undefined {
  const e = event as (OutputLike & { jobId?: unknown; stream?: unknown; at?: unknown }) | null;
  if (e === null || typeof e !== 'object') return 'its envelope holds no event';
  if (e.type !== COMPACTABLE_TYPE) return `a ${String(e.type)} event is marked compacted (only ${COMPACTABLE_TYPE} may be)`;
  if (!(e.data instanceof Uint8Array) || e.data.length !== 0) return 'a compaction stub must have empty data';
  const n = e.compactedBytes;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n <= 0) return 'compactedBytes must be a positive integer';
  if (typeof e.jobId !== 'string' || e.jobId === '') return 'a compaction stub must name its job';
  if (e.stream !== 'stdout' && e.stream !== 'stderr') return 'a compaction stub must name its stream (stdout or stderr)';
  if (typeof e.at !== 'number') return 'a compaction stub must keep its time';
  return undefined;
}
