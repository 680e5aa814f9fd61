// One chunk of log compaction: the synchronous half that reads a range of stored events, checks
// each output event against its chain hash and queues its stub (plus the checkpoint) as puts in
// one event turn, which lmdb-js commits as one write transaction. EventStore.compactOutput loops
// over chunks and awaits each commit, so group-commit appends get the writer between chunks.
import { asBinary, type RootDatabase } from 'lmdb';
import { decodeEnvelope, encodeStub, type Envelope } from './codec.js';
import { COMPACTION_CHECKPOINT, stubFor } from './compactionStub.js';
import { GENESIS_HASH, chainHash, type RawEvent } from './hashChain.js';
import type { Dbs } from './openChecks.js';

export interface CompactOptions {
  /** Examine at most this many positions in this call (default: all up to the bound). */
  maxEvents?: number;
  /** Positions per write transaction (default 1000). */
  chunkEvents?: number;
  /** Original bytes read per write transaction before the chunk is cut short (default 8 MiB). */
  chunkBytes?: number;
  /**
   * Positions up to this one had their stored bytes checked against the chain hash by the reader
   * that took them out of the log (the persist child, logOutputReader.ts; decision 0027). Output
   * events this store appended itself and still remembers (EventStore's recent stubs) are then
   * compacted from that memory, without reading or re-hashing their bytes; any other position
   * is read and checked here as before. Default 0: every position is read and checked.
   */
  verifiedThrough?: number;
}

export interface CompactionResult {
  /** Output events turned into stubs by this call. */
  compacted: number;
  /** Stored bytes those stubs no longer take (original value length minus the stub's). */
  bytesFreed: number;
  /** Positions examined by this call. */
  examined: number;
  /** The compaction checkpoint after this call: every output event up to it is a stub. */
  through: number;
}

export interface CompactionDeps {
  file: string;
  /**
   * The stub of an output event this store appended, remembered from the append (no read needed),
   * or null for a remembered position that is not compactable; undefined when not remembered.
   */
  remembered?(position: number): { type: string } | null | undefined;
  /** Positions at or below this may use `remembered` (CompactOptions.verifiedThrough). */
  verifiedThrough?: number;
  env: RootDatabase;
  dbs: Dbs;
  readRaw(from: number, to: number): Iterable<RawEvent>;
  /** Decoded envelope → the event in the current schema (upcast), as readers see it. */
  unwrap(value: Envelope, position: number): { type: string };
}

export interface ChunkDone { compacted: number; bytesFreed: number; through: number; commit: Promise<boolean> }

export function compactChunk(d: CompactionDeps, from: number, to: number, chunkBytes: number): ChunkDone {
  const { events, checkpoints, chain } = d.dbs;
  // The read snapshot must reach `to` (lmdb-js renews it after commits; check, as readChunk does).
  if (!events.doesExist(to)) d.env.resetReadTxn();
  let compacted = 0;
  let bytesFreed = 0;
  let read = 0;
  let through = from - 1;
  // Positions remembered from their append and verified by the persist child need no read: the
  // stub comes from what this store appended (decision 0027). The rest are read and checked.
  const verified = Math.min(to, d.verifiedThrough ?? 0);
  while (through < verified && d.remembered) {
    const stub = d.remembered(through + 1);
    if (stub === undefined) break;
    through++;
    if (stub === null) continue;
    const stubBytes = encodeStub(stub);
    events.put(through, asBinary(stubBytes) as unknown as Envelope);
    compacted++;
    const original = (stub as { compactedBytes?: number }).compactedBytes ?? 0;
    bytesFreed += Math.max(0, original - stubBytes.length);
  }
  if (through < to) {
    let previous = through === 0 ? GENESIS_HASH : chain?.get(through);
    if (!previous) throw new Error(`event log ${d.file}: compaction: no chain hash stored for position ${through}`);
    for (const { position, bytes, hash } of d.readRaw(through + 1, to)) {
      if (position !== through + 1) throw new Error(`event log ${d.file}: compaction: position ${through + 1} is missing (positions must be gap-free)`);
      if (!hash) throw new Error(`event log ${d.file}: compaction: no chain hash stored for position ${position}`);
      const envelope = decodeEnvelope(bytes);
      const stub = envelope.c === 1 ? undefined : stubFor(d.unwrap(envelope, position));
      if (stub) {
        // A stub keeps the stored hash, so compacting an event that no longer matches its hash
        // would launder the tampering: verification would then trust it. Refuse instead.
        if (!chainHash(previous, bytes).equals(hash)) {
          throw new Error(`event log ${d.file}: compaction refused at position ${position}: the event does not match its chain hash (run joblet replay --verify)`);
        }
        const stubBytes = encodeStub(stub);
        events.put(position, asBinary(stubBytes) as unknown as Envelope);
        compacted++;
        bytesFreed += bytes.length - stubBytes.length;
      }
      previous = hash;
      through = position;
      read += bytes.length;
      if (read >= chunkBytes) break;
    }
    if (through < to && read < chunkBytes) throw new Error(`event log ${d.file}: compaction: position ${through + 1} is missing (positions must be gap-free)`);
  }
  // Last put of the turn: its promise is the whole chunk's transaction.
  const commit = checkpoints.put(COMPACTION_CHECKPOINT, through);
  return { compacted, bytesFreed, through, commit };
}
