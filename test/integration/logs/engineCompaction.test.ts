// The output engine over a real LMDB log whose older output was compacted into stubs, with an
// OutputHistory holding those bytes (standing in for the persist service's files, which keep the
// same positions). Every reader must get each byte exactly once, in order: history, then log,
// and back to the history whenever compaction overtook it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EventStore } from '../../../src/persist/eventStore.js';
import { JobTable } from '../../../src/projections/jobTable.js';
import { CommandHandler } from '../../../src/daemon/commands.js';
import type { JobEvent, JobOutputWritten } from '../../../src/events/jobEvents.js';
import { DomainError } from '../../../src/events/errors.js';
import { OutputStreams, rawOutput, type OutputQuery } from '../../../src/api/outputStream.js';
import type { OutputChunk, OutputHistory } from '../../../src/api/outputHistory.js';
import { running, ALICE } from '../../unit/givenWhenThen.js';
import { tempDir } from '../../unit/persist/tempStore.js';

const JOB = '11111111-2222-4333-8444-555555555555';
const OTHER = '99999999-2222-4333-8444-555555555555';

/** The persist service's view: bytes by position, complete up to `upTo` (its checkpoint). */
class FilesHistory implements OutputHistory {
  readonly chunks = new Map<number, OutputChunk>();
  upTo = 0;
  reads: number[] = [];
  /** the persist child is down: every read fails, as the real client's does after its wait */
  down = false;
  async read(jobId: string, fromPosition: number) {
    this.reads.push(fromPosition);
    if (this.down) throw new Error('persist history: no persist child is serving');
    const upTo = Math.max(this.upTo, fromPosition - 1);
    const held = [...this.chunks.values()].filter((c) => c.position >= fromPosition && c.position <= upTo).sort((a, b) => a.position - b.position);
    return { upTo, chunks: (async function* () { for (const c of held) { await Promise.resolve(); yield c; } })() };
  }
}

interface World { store: EventStore<JobEvent>; commands: CommandHandler; history: FilesHistory; outputs: OutputStreams; expected: Buffer[]; remove(): void }

async function world(): Promise<World> {
  const t = tempDir();
  const store = EventStore.open<JobEvent>({ path: t.dir });
  const commands = new CommandHandler(store, new JobTable());
  const history = new FilesHistory();
  await commands.append([...running(JOB), ...running(OTHER)]);
  return {
    store, commands, history, outputs: new OutputStreams({ store, commands, history }), expected: [],
    remove: () => { void store.close().then(t.remove); },
  };
}

const bytes = (i: number, stream: string) => Buffer.from(`${stream} chunk ${i} ${'.'.repeat(i % 7)}\n`);

/** Appends output as it would be after compaction: a stub in the log, the bytes in the history. */
async function compacted(w: World, i: number, stream: 'stdout' | 'stderr' = 'stdout'): Promise<number> {
  const data = bytes(i, stream);
  const stub: JobOutputWritten = { type: 'JobOutputWritten', jobId: JOB, at: 5000 + i, stream, data: new Uint8Array(0), compactedBytes: data.length };
  const [{ position }] = await w.commands.append([stub, { type: 'JobOutputWritten', jobId: OTHER, at: 5000 + i, stream, data: Buffer.from('noise\n') }]);
  w.history.chunks.set(position, { position, at: stub.at, stream, data });
  w.expected.push(data);
  return position;
}

/** Appends output that is still in the log. */
async function live(w: World, i: number, stream: 'stdout' | 'stderr' = 'stdout'): Promise<number> {
  const data = bytes(i, stream);
  const [{ position }] = await w.commands.append([{ type: 'JobOutputWritten', jobId: JOB, at: 5000 + i, stream, data }]);
  w.expected.push(data);
  return position;
}

const finish = (w: World) => w.commands.append([{ type: 'JobFinished', jobId: JOB, at: 9999, status: 'COMPLETED', exitCode: 0 }]);

function read(w: World, q: OutputQuery = rawOutput(JOB)): { done: Promise<Buffer>; got: Buffer[] } {
  const got: Buffer[] = [];
  const done = w.outputs.stream(q, (c) => { got.push(Buffer.from(c.data)); }, new AbortController().signal).then(() => Buffer.concat(got));
  return { done, got };
}

test('history up to the checkpoint, then the log: every byte once, in order', async () => {
  const w = await world();
  try {
    for (let i = 0; i < 20; i++) await compacted(w, i, i % 3 === 0 ? 'stderr' : 'stdout');
    w.history.upTo = w.store.lastPosition;
    for (let i = 20; i < 30; i++) await live(w, i);
    await finish(w);
    assert.equal(await read(w).done, Buffer.concat(w.expected));
  } finally { w.remove(); }
});

test('compaction beyond the history\'s first upTo: the reader goes back to the history from the stub', async () => {
  const w = await world();
  try {
    for (let i = 0; i < 5; i++) await compacted(w, i);
    w.history.upTo = w.store.lastPosition;
    // The history was read with upTo here; compaction then moved on past it.
    const firstStub = await compacted(w, 5);
    for (let i = 6; i < 12; i++) await compacted(w, i);
    const laterUpTo = w.store.lastPosition;
    for (let i = 12; i < 15; i++) await live(w, i);
    await finish(w);
    const upToWhenRead = w.history.upTo;
    // The first history read answers only up to the old checkpoint; later reads the new one.
    const history = w.history;
    const real = history.read.bind(history);
    let calls = 0;
    history.read = async (jobId, from) => { history.upTo = calls++ === 0 ? upToWhenRead : laterUpTo; return real(jobId, from); };
    assert.equal(await read(w).done, Buffer.concat(w.expected));
    assert.ok(history.reads.includes(firstStub), `history read again from the first stub (${firstStub}); reads: ${history.reads.join(',')}`);
  } finally { w.remove(); }
});

test('a live reader overtaken by compaction while it waits gets every byte once', async () => {
  const w = await world();
  try {
    for (let i = 0; i < 3; i++) await live(w, i);
    const r = read(w);
    // The reader catches up and waits for more.
    await until(() => r.got.length === 3);
    // New output arrives and is compacted before the reader wakes (a slow reader, a fast compactor).
    for (let i = 3; i < 8; i++) await compacted(w, i, i % 2 ? 'stderr' : 'stdout');
    w.history.upTo = w.store.lastPosition;
    for (let i = 8; i < 10; i++) await live(w, i);
    await until(() => r.got.length === 10);
    for (let i = 10; i < 12; i++) await compacted(w, i);
    w.history.upTo = w.store.lastPosition;
    await finish(w);
    assert.equal(await r.done, Buffer.concat(w.expected));
  } finally { w.remove(); }
});

test('a finished job whose end lies behind the history checkpoint still ends the stream', async () => {
  const w = await world();
  try {
    for (let i = 0; i < 4; i++) await compacted(w, i);
    await finish(w);
    w.history.upTo = w.store.lastPosition;
    assert.equal(await read(w).done, Buffer.concat(w.expected));
    assert.equal(await read(w, { ...rawOutput(JOB), follow: false }).done, Buffer.concat(w.expected));
  } finally { w.remove(); }
});

test('tail, since and stream selection cut across history and log alike', async () => {
  const w = await world();
  try {
    for (let i = 0; i < 6; i++) await compacted(w, i, i % 2 ? 'stderr' : 'stdout');
    w.history.upTo = w.store.lastPosition;
    for (let i = 6; i < 10; i++) await live(w, i, i % 2 ? 'stderr' : 'stdout');
    await finish(w);
    const text = async (q: Partial<OutputQuery>) => (await read(w, { ...rawOutput(JOB), ...q }).done).toString();
    assert.is(await text({ tailLines: 3 }), [7, 8, 9].map((i) => bytes(i, i % 2 ? 'stderr' : 'stdout')).join(''));
    assert.is(await text({ tailLines: 4, streams: new Set(['stdout']) }), [2, 4, 6, 8].map((i) => bytes(i, 'stdout')).join(''));
    assert.is(await text({ sinceMs: 5004 }), [4, 5, 6, 7, 8, 9].map((i) => bytes(i, i % 2 ? 'stderr' : 'stdout')).join(''));
    assert.is(await text({ tailLines: 0 }), '');
  } finally { w.remove(); }
});

test('a compacted position the history never holds: UNAVAILABLE naming it, not a gap', async () => {
  const w = await world();
  try {
    await live(w, 0);
    const lost = await compacted(w, 1);
    w.history.chunks.delete(lost);
    await finish(w);
    let err: unknown;
    try { await read(w).done; } catch (e) { err = e; }
    assert.ok(err instanceof DomainError && err.code === 'UNAVAILABLE', String(err));
    assert.match((err as Error).message, `log position ${lost}`);
  } finally { w.remove(); }
});

test('persist down: output still in the log is read in full; a compacted event is UNAVAILABLE, not a gap', async () => {
  const w = await world();
  try {
    w.history.down = true;
    for (let i = 0; i < 4; i++) await live(w, i);
    const r = read(w, { ...rawOutput(JOB), follow: false });
    assert.equal(await r.done, Buffer.concat(w.expected));
    await compacted(w, 4);
    await finish(w);
    let err: unknown;
    try { await read(w).done; } catch (e) { err = e; }
    assert.ok(err instanceof DomainError && err.code === 'UNAVAILABLE', String(err));
    assert.match((err as Error).message, 'cannot be read');
  } finally { w.remove(); }
});

test('deleting the job while a reader is stuck behind a full client ends it with NOT_FOUND', async () => {
  const w = await world();
  try {
    for (let i = 0; i < 5; i++) await live(w, i);
    await finish(w);
    let sent = 0;
    // A client that never drains: each send waits until the engine stops.
    const done = w.outputs.stream(rawOutput(JOB), (_c, stop) => { sent++; return new Promise<void>((r) => stop.addEventListener('abort', () => r())); }, new AbortController().signal);
    await until(() => sent === 1);
    await w.commands.append([{ type: 'JobDeleted', jobId: JOB, at: 10_000, by: ALICE }]);
    let err: unknown;
    try { await done; } catch (e) { err = e; }
    assert.ok(err instanceof DomainError && err.code === 'NOT_FOUND', String(err));
    assert.match((err as Error).message, 'deleted');
    assert.is(sent, 1, 'nothing more was sent after the delete');
  } finally { w.remove(); }
});

test('a live follower that stalls past what it keeps in memory, among another job\'s output, still gets every byte once', async () => {
  const w = await world();
  try {
    await live(w, 0);
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const got: Buffer[] = [];
    // the first chunk's send waits (a client that stopped reading) while 300 more chunks, and the
    // other job's output between them, become durable: more than a follower keeps (64 events)
    const done = w.outputs.stream(rawOutput(JOB), (c) => { got.push(Buffer.from(c.data)); return got.length === 1 ? gate : undefined; }, new AbortController().signal);
    await until(() => got.length === 1);
    for (let i = 1; i < 301; i++) {
      await live(w, i, i % 5 === 0 ? 'stderr' : 'stdout');
      if (i % 3 === 0) await w.commands.append([{ type: 'JobOutputWritten', jobId: OTHER, at: 1, stream: 'stdout', data: Buffer.from('other\n') }]);
    }
    release();
    await until(() => got.length === 301);
    // and once it has caught up, it follows live again
    for (let i = 301; i < 311; i++) await live(w, i);
    await finish(w);
    await done;
    assert.equal(Buffer.concat(got), Buffer.concat(w.expected));
  } finally { w.remove(); }
});

test('shutdown (closeAll) ends an open follower with UNAVAILABLE, not a clean end', async () => {
  const w = await world();
  try {
    await live(w, 0);
    const r = read(w);
    await until(() => r.got.length === 1);
    w.outputs.closeAll();
    let err: unknown;
    try { await r.done; } catch (e) { err = e; }
    assert.ok(err instanceof DomainError && err.code === 'UNAVAILABLE', String(err));
    assert.match((err as Error).message, 'shutting down');
  } finally { w.remove(); }
});

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
}

test.run();
