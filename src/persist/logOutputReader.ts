// The persist child's read-only view of the event log (docs/decisions/0025): the daemon names each
// output event by position and length, and the child reads the bytes from the log itself, a
// second process on the same LMDB file. The bytes were just written, so they come from the page
// cache; the daemon no longer copies a flood's output down a pipe whose small socket buffer it
// could refill only once per turn of its busy event loop (in a 1 GiB flood 15-30 MiB waited in
// its write queue and the child waited for them).
import { open, type Database, type RootDatabase } from 'lmdb';
import { decodeEnvelope, EVENT_SCHEMA_VERSION } from './codec.js';
import { DEFAULT_MAP_BYTES } from './eventStore.js';
import type { FeedEvent, WireFeedEvent } from './persistProtocol.js';

type WireOutput = Extract<WireFeedEvent, { k: 'out' }>;
const EMPTY = new Uint8Array(0);

export class LogOutputReader {
  private env: RootDatabase | undefined;
  private events: Database<Buffer, number> | undefined;

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
    let raw = events.getBinaryFast(position);
    if (raw === undefined) {
      // A read snapshot taken earlier in this turn may predate the commit: take a fresh one.
      this.env!.resetReadTxn();
      raw = events.getBinaryFast(position);
    }
    const where = `event log ${this.file}: position ${position}`;
    if (raw === undefined) throw new Error(`persist: ${where} is not readable, though the daemon sent it as durable`);
    const envelope = decodeEnvelope(raw.subarray(0, raw.length));
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
    this.events = events;
    return events;
  }

  close(): void {
    void this.env?.close().catch(() => undefined);
    this.env = undefined;
    this.events = undefined;
  }
}
