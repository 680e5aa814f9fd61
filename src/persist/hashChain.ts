// The hash chain that makes the log tamper-evident: for each position n
//   h(n) = SHA-256( h(n-1) ‖ the exact bytes stored for event n ),   h(0) = 32 zero bytes.
// Hashing the stored bytes (not a re-encoding of the decoded event) means verification never
// depends on a MessagePack encoder producing the same bytes twice. Because each hash covers the
// previous one, editing, deleting or reordering any event breaks every hash after it; only cutting
// the tail (events and hashes together) keeps a valid chain, which is why `verify` prints the head
// hash: an operator who noted it earlier (or a SIEM that received it) can compare.
// See docs/decisions/0006-hash-chain-in-a-parallel-db.md. Compacted output events (stubs) keep the
// hash of their original bytes, which can no longer be recomputed: verification checks that a stub
// is a legal one and trusts its stored hash, which the next event's hash then vouches for
// (docs/decisions/0013-compaction-stubs-in-the-hash-chain.md).
import { createHash, hash } from 'node:crypto';
import { isMarkedStub, stubProblem } from './compactionStub.js';

export const HASH_BYTES = 32;
export const GENESIS_HASH: Buffer = Buffer.alloc(HASH_BYTES);

// Below this size the one-shot crypto.hash (Node >= 20.12) over a joined copy is ~25% faster than
// createHash().update(); above it, copying the event (output chunks of up to megabytes) costs more.
const ONE_SHOT_MAX_BYTES = 4096;

export function chainHash(previous: Uint8Array, eventBytes: Uint8Array): Buffer {
  if (eventBytes.length > ONE_SHOT_MAX_BYTES) return createHash('sha256').update(previous).update(eventBytes).digest();
  return hash('sha256', Buffer.concat([previous, eventBytes]), 'buffer') as unknown as Buffer;
}

/** What a store offers for verification: raw stored bytes and the hash stored beside each event. */
export interface ChainSource {
  readonly lastPosition: number;
  readonly file: string;
  readRaw(from: number, to: number): Iterable<RawEvent>;
  hashAt(position: number): Buffer | undefined;
  /** The last position log compaction has examined: stubs may only lie at or below it (0 = none). */
  readonly compactedThrough?: number;
}

export interface RawEvent {
  position: number;
  /** The value exactly as stored in the events db. */
  bytes: Buffer;
  /** The chain hash stored for this position; undefined when none is stored. */
  hash: Buffer | undefined;
}

export type VerifyResult =
  | { ok: true; checked: number; from: number; to: number; /** hex of h(to) */ head: string; /** how many of `checked` were compaction stubs */ stubs: number }
  | { ok: false; position: number; reason: string; checked: number };

/**
 * Recomputes the chain over [from, to] (default: the whole log) and compares it with the stored
 * hashes. Starting past position 1 trusts the stored hash of from-1 as the starting point.
 */
export function verifyChain(store: ChainSource, from = 1, to = Infinity): VerifyResult {
  const start = Math.max(1, Math.floor(from));
  const end = Math.min(to, store.lastPosition);
  let previous = start === 1 ? GENESIS_HASH : store.hashAt(start - 1);
  if (!previous) return { ok: false, position: start - 1, reason: 'no hash stored for the starting point (verify from position 1)', checked: 0 };
  let expect = start;
  let checked = 0;
  let stubs = 0;
  let afterStub = false;
  for (const { position, bytes, hash: stored } of store.readRaw(start, end)) {
    if (position !== expect) return { ok: false, position: expect, reason: 'event missing: positions must be gap-free', checked };
    if (!stored) return { ok: false, position, reason: 'no hash stored for this event (written before hash chaining, or the chain was cut)', checked };
    // Only on a mismatch is the event decoded: the common case stays one hash per event.
    if (!chainHash(previous, bytes).equals(stored)) {
      if (!isMarkedStub(bytes)) {
        const reason = afterStub
          ? 'hash mismatch: this event\'s stored bytes or its stored hash, or the stored hash of the compaction stub before it, were changed'
          : 'hash mismatch: this event\'s stored bytes or its stored hash were changed';
        return { ok: false, position, reason, checked };
      }
      const problem = stubProblem(bytes);
      if (problem) return { ok: false, position, reason: `illegal compaction stub: ${problem}`, checked };
      // Read here, not once up front: on a live log the checkpoint only grows, and a later read
      // is at least as new as the snapshot the stub came from.
      const through = store.compactedThrough ?? 0;
      if (position > through) return { ok: false, position, reason: `compaction stub past the compaction checkpoint (${through})`, checked };
      if (stored.length !== HASH_BYTES) return { ok: false, position, reason: `the stored hash of this compaction stub is not ${HASH_BYTES} bytes`, checked };
      stubs++;
      afterStub = true;
    } else {
      afterStub = false;
    }
    previous = stored;
    expect++;
    checked++;
  }
  if (expect <= end) return { ok: false, position: expect, reason: 'event missing: positions must be gap-free', checked };
  return { ok: true, checked, from: start, to: end, head: previous.toString('hex'), stubs };
}
