// How values are laid out in the LMDB databases.
//
// Events: plain MessagePack (msgpackr with useRecords: false), wrapped in a schema envelope
// { v, e }. Records (msgpackr's shared structures) would make every stored event depend on a
// structure table kept elsewhere in the db; an append-only log should stay readable on its own
// and by any MessagePack decoder (a Go tool, a debugging script). Events are plain data, so the
// extra types of structured clone are not needed; maps decode as plain objects.
//
// Snapshots: msgpackr structured clone. Projection state may hold Map, Set, Date or shared
// references, which must survive a round trip; each snapshot is one self-contained blob (record
// definitions are written inline because no shared structures are configured).
import { Packr } from 'msgpackr';

/** The envelope version written by this build. Bump it with an upcaster when an event changes shape. */
export const EVENT_SCHEMA_VERSION = 1;

/**
 * `c: 1` marks a compaction stub: an event whose bulk (output bytes) was emptied once stored
 * elsewhere (compactionStub.ts); the chain hash at its position still covers the original bytes.
 */
export interface Envelope { v: number; e: unknown; c?: 1 }

/** Options for every db that stores plain MessagePack; lmdb-js builds its decoder from these. */
export const plainMsgpackOptions = { encoder: { Encoder: Packr }, useRecords: false, mapsAsObjects: true } as const;

// A separate instance for encoding: appends are encoded in the caller's turn (so a value that
// cannot be encoded rejects only that call) and the buffers wait in the group-commit queue. The
// lmdb-js encoder instance reuses its buffer between puts, so it must not produce those buffers.
const eventPackr = new Packr({ useRecords: false, mapsAsObjects: true });
const snapshotPackr = new Packr({ structuredClone: true });

export function encodeEvent(event: unknown): Buffer {
  return eventPackr.pack({ v: EVENT_SCHEMA_VERSION, e: event } satisfies Envelope);
}

/** A compaction stub: always written in the current schema version, whatever the original's was. */
export function encodeStub(event: unknown): Buffer {
  return eventPackr.pack({ v: EVENT_SCHEMA_VERSION, e: event, c: 1 } satisfies Envelope);
}

/** The envelope of stored event bytes (no upcasting); throws when the bytes are not MessagePack. */
export function decodeEnvelope(bytes: Uint8Array): Envelope {
  return eventPackr.unpack(bytes) as Envelope;
}

export function encodeSnapshot(position: number, state: unknown): Buffer {
  return snapshotPackr.pack({ position, state });
}

export function decodeSnapshot(bytes: Uint8Array): { position: number; state: unknown } {
  return snapshotPackr.unpack(bytes) as { position: number; state: unknown };
}
