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
  if (event !== null && typeof event === 'object') {
    const inPlace = encodeInPlace(event as Record<string, unknown>);
    if (inPlace) return inPlace;
  }
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

// Output bytes encoded where they lie (docs/decisions/0027). Capture copies a job's output into a
// buffer made by outputBuffer(), with room before and after the bytes; encodeEvent then writes the
// envelope's MessagePack around them in that buffer instead of copying the bytes into a new one.
// The stored bytes are plain MessagePack like any other event's (any decoder reads them the same).
const HEAD_ROOM = 640;  // envelope, type, jobId (≤ 512 bytes), stream, time and the bin header
const TAIL_ROOM = 64;   // fields after `data` (spoolEnd)
/** { v: EVENT_SCHEMA_VERSION, e: ... } up to the event's map header. */
const ENVELOPE_HEAD = Buffer.concat([Buffer.from([0xde, 0, 2]), eventPackr.pack('v'), eventPackr.pack(EVENT_SCHEMA_VERSION), eventPackr.pack('e')].map((b) => Buffer.from(b)));
/** The data views of buffers made by outputBuffer whose room is not yet used. */
const roomy = new WeakSet<Uint8Array>();

/** A view of `length` bytes to fill with output, with room around it for its event's encoding. */
export function outputBuffer(length: number): Buffer {
  const view = Buffer.allocUnsafeSlow(HEAD_ROOM + length + TAIL_ROOM).subarray(HEAD_ROOM, HEAD_ROOM + length);
  roomy.add(view);
  return view;
}

function binHeader(n: number): Buffer {
  if (n < 0x100) return Buffer.from([0xc4, n]);
  const h = Buffer.alloc(n < 0x10000 ? 3 : 5);
  h[0] = n < 0x10000 ? 0xc5 : 0xc6;
  if (n < 0x10000) h.writeUInt16BE(n, 1); else h.writeUInt32BE(n, 1);
  return h;
}

/** The envelope of `event` encoded around its `data` in place, or undefined when that cannot be done. */
function encodeInPlace(event: Record<string, unknown>): Buffer | undefined {
  const data = event.data;
  if (!(data instanceof Uint8Array) || !roomy.has(data)) return undefined;
  const keys = Object.keys(event);
  if (keys.length >= 16) return undefined;
  // each part copied: the packer may reuse the buffer it returned for the next pack
  const pack = (v: unknown) => Buffer.from(eventPackr.pack(v));
  // map16 headers, as msgpackr writes objects: the stored bytes are the ones it would have made
  const head: Uint8Array[] = [ENVELOPE_HEAD, Buffer.from([0xde, 0, keys.length])];
  const tail: Uint8Array[] = [];
  let parts = head;
  for (const k of keys) {
    const v = event[k];
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') return undefined;
    parts.push(pack(k));
    if (k === 'data') { parts.push(binHeader(data.length)); parts = tail; continue; }
    parts.push(pack(v));
  }
  let headLen = 0;
  for (const p of head) headLen += p.length;
  let tailLen = 0;
  for (const p of tail) tailLen += p.length;
  if (headLen > data.byteOffset || data.byteOffset + data.length + tailLen > data.buffer.byteLength) return undefined;
  roomy.delete(data);  // its room is used: a second event with these bytes is encoded by copying
  const all = Buffer.from(data.buffer, data.byteOffset - headLen, headLen + data.length + tailLen);
  let at = 0;
  for (const p of head) { all.set(p, at); at += p.length; }
  at += data.length;
  for (const p of tail) { all.set(p, at); at += p.length; }
  return all;
}
