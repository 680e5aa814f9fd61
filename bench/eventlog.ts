// Event log throughput: durable appends (batched, many single-event callers, one at a time) and
// replay, each next to a baseline measured in the same run on the same disk:
//   appends → fs.writeSync + fsyncSync of the same encoded bytes, one fsync per as many events as
//             the store put in one transaction on average (so both pay the same number of fsyncs);
//   replay  → msgpackr decoding the same bytes from one in-memory buffer (no storage at all).
// Usage: node dist/bench/eventlog.js [events=1000000]
import { mkdtempSync, rmSync, openSync, writeSync, fsyncSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unpackMultiple } from 'msgpackr';
import { EventStore } from '../src/persist/eventStore.js';
import { encodeEvent } from '../src/persist/codec.js';

interface BenchEvent { type: 'JobStatusChanged'; jobId: string; status: string; at: number; seq: number }

const total = Number(process.argv[2] ?? 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'joblet-bench-eventlog-'));
const event = (i: number): BenchEvent => ({ type: 'JobStatusChanged', jobId: `job-${i % 1000}`, status: i % 2 ? 'RUNNING' : 'COMPLETED', at: 1_700_000_000_000 + i, seq: i });

const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);
const fmt = (n: number) => n.toLocaleString('en-US');

/** Writes `count` encoded events to a plain file, fsyncing every `perSync` events. */
function baselineAppend(file: string, count: number, perSync: number): number {
  const fd = openSync(file, 'w');
  const t0 = performance.now();
  for (let done = 0; done < count;) {
    const n = Math.min(perSync, count - done);
    const chunk = Buffer.concat(Array.from({ length: n }, (_, k) => encodeEvent(event(done + k))));
    writeSync(fd, chunk);
    fsyncSync(fd);
    done += n;
  }
  const ms = performance.now() - t0;
  closeSync(fd);
  return rate(count, ms);
}

type Store = EventStore<BenchEvent>;

async function phase(name: string, store: Store, count: number, run: () => Promise<void>): Promise<void> {
  const c0 = store.stats.commits;
  const e0 = store.stats.events;
  const t0 = performance.now();
  await run();
  const ms = performance.now() - t0;
  const commits = store.stats.commits - c0;
  const perCommit = Math.max(1, Math.round((store.stats.events - e0) / commits));
  const ours = rate(count, ms);
  const base = baselineAppend(join(dir, 'baseline.bin'), Math.min(count, 200_000), perCommit);
  console.log(`${name.padEnd(34)} ${fmt(ours).padStart(10)} events/s  (${fmt(count)} events, ${fmt(commits)} commits, ~${fmt(perCommit)} events/commit)  baseline write+fsync ${fmt(base)}/s  ratio ${(ours / base).toFixed(2)}`);
}

async function main(): Promise<void> {
  const store = EventStore.open<BenchEvent>({ path: dir, mapSizeBytes: 2 ** 30 });
  let next = 0;
  const take = (n: number) => { const from = next; next += n; return Array.from({ length: n }, (_, k) => event(from + k)); };

  // 1. Batches of 1000 from 16 concurrent callers (a burst of commands, each emitting many events).
  await phase('batched (16 callers x 1000/append)', store, total, async () => {
    const perCaller = total / 16 / 1000;
    await Promise.all(Array.from({ length: 16 }, async () => { for (let i = 0; i < perCaller; i++) await store.append(take(1000)); }));
  });

  // 2. Many callers, one event each (many concurrent RPCs): group commit must batch them.
  const singles = Math.min(200_000, total);
  await phase('concurrent singles (1000 callers)', store, singles, async () => {
    await Promise.all(Array.from({ length: 1000 }, async () => { for (let i = 0; i < singles / 1000; i++) await store.append(take(1)); }));
  });

  // 3. One caller, each append awaited before the next: one fsync per event is the floor here.
  await phase('one at a time (awaited)', store, 2000, async () => {
    for (let i = 0; i < 2000; i++) await store.append(take(1));
  });

  // 4. Replay: read() the first `total` events.
  const t0 = performance.now();
  let n = 0;
  let check = 0;
  for (const e of store.read(1, total)) { n++; check += e.event.seq; }
  const replay = rate(n, performance.now() - t0);
  if (n !== total || check !== (total * (total - 1)) / 2) throw new Error(`replay read ${n} events, checksum ${check}: the log is not what was appended`);
  const bytes = Buffer.concat(Array.from({ length: Math.min(total, 200_000) }, (_, i) => encodeEvent(event(i))));
  const t1 = performance.now();
  const decoded = unpackMultiple(bytes) as unknown[];
  const base = rate(decoded.length, performance.now() - t1);
  console.log(`${'replay (read)'.padEnd(34)} ${fmt(replay).padStart(10)} events/s  (${fmt(n)} events)  baseline msgpackr decode from memory ${fmt(base)}/s  ratio ${(replay / base).toFixed(2)}`);
  console.log(`log position ${fmt(store.lastPosition)}, targets: batched >= 200,000/s, replay >= 1,000,000/s`);
  await store.close();
}

main().finally(() => rmSync(dir, { recursive: true, force: true })).catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
