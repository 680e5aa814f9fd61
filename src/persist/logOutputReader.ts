// The persist child's read-only view of the event log (docs/decisions/0025): the daemon names each
// output event by position and length, and the child reads the bytes from the log itself, a
// second process on the same LMDB file. The bytes were just written, so they come from the page
// cache; the daemon no longer copies a flood's output down a pipe whose small socket buffer it
// could refill only once per turn of its busy event loop (in a 1 GiB flood 15-30 MiB waited in
// its write queue and the child waited for them).
// Each event's bytes are checked against the log's chain hash as they are read (decision 0027):
// what the files receive is what the daemon appended, and the daemon's compaction then trusts
// every output event up to the child's checkpoint without reading it back.
import { open, type Database, type RootDatabase } from 'lmdb';
import { decodeEnvelope, EVENT_SCHEMA_VERSION } from './codec.js';
import { DEFAULT_MAP_BYTES } from './eventStore.js';
import { GENESIS_HASH, chainHash } from './hashChain.js';
import type { FeedEvent, WireFeedEvent } from './persistProtocol.js';

type WireOutput = Extract<WireFeedEvent, { k: 'out' }>;
const EMPTY = new Uint8Array(0);

export class LogOutputReader {
  private env: RootDatabase | undefined;
  private events: Database<Buffer, number> | undefined;
  private chain: Database<Buffer, number> | undefined;
  /** The last position verified and its stored hash: the next event's link starts from it. */
  private lastVerified: { position: number; hash: Buffer } | undefined;

  constructor(private readonly file: string) {}

  /**
   * The output event with its bytes. They are a view of lmdb-js's reusable read buffer, valid
   * only until the next read: write them out before asking for the next event.
   */
  withBytes(e: WireOutput): Extract<FeedEvent, { k: 'out' }> {
    const { len, ...rest } = e;
    return { ...rest, data: this.read(e.p, e.jobId, len) };
  }

  private read(position: number, jobId: string, length: number): Uint8Array {
    const events = this.open();
    const where = `event log ${this.file}: position ${position}`;
    const link = this.link(position, where);
    let raw = events.getBinaryFast(position);
    if (raw === undefined) {
      // A read snapshot taken earlier in this turn may predate the commit: take a fresh one.
      this.env!.resetReadTxn();
      raw = events.getBinaryFast(position);
    }
    if (raw === undefined) throw new Error(`persist: ${where} is not readable, though the daemon sent it as durable`);
    const bytes = raw.subarray(0, raw.length);
    const matches = chainHash(link.previous, bytes).equals(link.expected);
    const envelope = decodeEnvelope(bytes);
    // A compaction stub (c: 1) no longer matches the hash of its original bytes; its stored hash
    // is trusted as verification trusts it (decision 0013), and it carries no bytes to persist.
    if (!matches && envelope.c !== 1) {
      throw new Error(`persist: ${where} does not match its chain hash: the stored event was changed, so its output is not persisted (run joblet replay --verify)`);
    }
    this.lastVerified = { position, hash: link.expected };
    const e = envelope.e as { type?: unknown; jobId?: unknown; data?: unknown } | undefined;
    // Output events have had one shape since version 1; one that changes it needs its upcaster here too.
    if (envelope.v !== EVENT_SCHEMA_VERSION) throw new Error(`persist: ${where} has envelope version ${String(envelope.v)}; the persist child reads output events of version ${EVENT_SCHEMA_VERSION} only`);
    if (e?.type !== 'JobOutputWritten' || e.jobId !== jobId) throw new Error(`persist: ${where} is not job ${jobId}'s output (${String(e?.type)}); the feed and the log disagree`);
    // A compaction stub (a logs dir rebuilt after compaction) has no bytes left; the daemon then sends length 0.
    const data = e.data instanceof Uint8Array ? e.data : EMPTY;
    if (data.length !== length) throw new Error(`persist: ${where} holds ${data.length} output bytes, the feed said ${length}`);
    return data;
  }

  /**
   * The hashes `position`'s bytes are checked against (hashChain.ts): SHA-256(previous ‖ bytes)
   * must equal `expected`, the check compaction made before decision 0027. Read before the event
   * itself: these reads would reuse the buffer its bytes lie in.
   */
  private link(position: number, where: string): { previous: Buffer; expected: Buffer } {
    const chain = this.chain!;
    let expected = chain.get(position);
    if (expected === undefined) {
      // A read snapshot taken earlier in this turn may predate the commit: take a fresh one.
      this.env!.resetReadTxn();
      expected = chain.get(position);
    }
    if (expected === undefined) throw new Error(`persist: ${where} is not readable (no chain hash stored for it), though the daemon sent it as durable`);
    const previous = position === 1 ? GENESIS_HASH
      : this.lastVerified?.position === position - 1 ? this.lastVerified.hash : chain.get(position - 1);
    if (!previous) throw new Error(`persist: ${where}: no chain hash stored for position ${position - 1} (run joblet replay --verify)`);
    return { previous, expected };
  }

  /**
   * Opens the log (read at once by the child's init: lmdb-js then clears the reader slots of dead
   * processes, so a predecessor SIGKILLed mid-read pins no pages). Throws when it is not there.
   */
  open(): Database<Buffer, number> {
    if (this.events) return this.events;
    // The daemon's map size, so the map never has to follow the file's growth; read-only, so
    // this process cannot write the log (LMDB still registers it as a reader in the -lock file).
    this.env = open({ path: this.file, noSubdir: true, readOnly: true, maxDbs: 8, mapSize: DEFAULT_MAP_BYTES });
    const events = this.env.openDB<Buffer, number>('events', { encoding: 'binary' });
    if (!events) throw new Error(`persist: event log ${this.file}: the named db "events" is missing`);
    const chain = this.env.openDB<Buffer, number>('chain', { encoding: 'binary' });
    if (!chain) throw new Error(`persist: event log ${this.file}: the named db "chain" is missing (a log written before hash chaining: run joblet replay --verify)`);
    this.chain = chain;
    this.events = events;
    return events;
  }

  close(): void {
    void this.env?.close().catch(() => undefined);
    this.env = undefined;
    this.events = undefined;
    this.chain = undefined;
    this.lastVerified = undefined;
  }
}
