// Log compaction next to plain appends of the same output events, in one run on one disk:
//   append            durable group-commit appends of job output (the baseline)
//   compact           EventStore.compactOutput over those events: events/s examined, MiB/s freed
//   append + compact  the same appends again while compaction of the first batch runs beside
//                     them: the append rate compaction leaves (it must not block appends)
// in two shapes: 64 KiB chunks (bytes dominate) and 256-byte chunks (events dominate), then the
// file size, which page reuse keeps near one batch's worth.
// Usage: node dist/bench/compaction.js [MiB per batch = 256]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EVENT_LOG_FILE } from '../src/persist/eventStore.js';
import { outputLog, writeOutputLog } from '../test/support/outputLog.js';
import { benchSize, fmt } from './common.js';

const MiB = 1024 * 1024;
// Sized in MiB, not events; BENCH_EVENTS (meant for event counts) is capped to stay a short run.
const batchMiB = Math.min(benchSize(256), 512);

async function shape(name: string, chunkBytes: number, mib: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'joblet-bench-compaction-'));
  const store = outputLog(dir);
  try {
    let t0 = performance.now();
    const first = await writeOutputLog(store, mib * MiB, 0, chunkBytes);
    const appendMs = performance.now() - t0;
    const end1 = store.lastPosition;

    // Compaction alone, of half the first batch.
    const half = Math.floor(end1 / 2);
    t0 = performance.now();
    const a = await store.compactOutput(half);
    const compactMs = performance.now() - t0;

    // Appends of a second batch while the rest of the first is compacted beside them.
    t0 = performance.now();
    let compactDoneMs = 0;
    const compacting = store.compactOutput(end1).then((r) => { compactDoneMs = performance.now() - t0; return r; });
    const second = await writeOutputLog(store, mib * MiB, 1, chunkBytes);
    const bothMs = performance.now() - t0;
    const b = await compacting;
    await store.compactOutput(store.lastPosition);
    const size = statSync(join(dir, EVENT_LOG_FILE)).size;

    const perS = (n: number, ms: number) => (n / ms) * 1000;
    const appendRate = perS(first.events, appendMs);
    const compactRate = perS(a.examined, compactMs);
    const appendBeside = perS(second.events, bothMs);
    console.log(`${name}: ${fmt(first.events)} events (${mib} MiB) per batch`);
    console.log(`  append (baseline)     ${fmt(Math.round(appendRate)).padStart(10)} events/s  ${(perS(mib * MiB, appendMs) / MiB).toFixed(0).padStart(5)} MiB/s`);
    console.log(`  compact               ${fmt(Math.round(compactRate)).padStart(10)} events/s  ${(perS(a.bytesFreed, compactMs) / MiB).toFixed(0).padStart(5)} MiB/s freed  ratio to append ${(compactRate / appendRate).toFixed(2)}`);
    console.log(`  append beside compact ${fmt(Math.round(appendBeside)).padStart(10)} events/s  ratio to append alone ${(appendBeside / appendRate).toFixed(2)}  (compaction of ${fmt(b.examined)} events finished after ${(compactDoneMs / 1000).toFixed(1)} s of ${(bothMs / 1000).toFixed(1)} s)`);
    console.log(`  events.mdb after 2 x ${mib} MiB and compaction: ${(size / MiB).toFixed(0)} MiB`);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  await shape('64 KiB chunks', 64 * 1024, batchMiB);
  await shape('256-byte chunks', 256, Math.max(1, Math.round(batchMiB / 8)));
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
