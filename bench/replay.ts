// `joblet replay --verify` rate on a log of realistic job events, next to the baseline measured in
// the same run on the same log: plain store.read() iteration (decode only, no hashing). Three numbers:
//   read()          the baseline: every event read and decoded
//   verifyChain()   in-process: every event's stored bytes read and its chain hash recomputed
//   joblet replay   the binary end to end (process start, read-only open, verify, output)
// Usage: node dist/bench/replay.js [events=1000000]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { EventStore } from '../src/persist/eventStore.js';
import { verifyChain } from '../src/persist/hashChain.js';
import type { JobEvent } from '../src/events/jobEvents.js';
import { benchSize, fmt } from './common.js';

const total = benchSize(1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'joblet-bench-replay-'));
const rate = (n: number, ms: number) => Math.round((n / ms) * 1000);
const by = { cn: 'joblet-developer', role: 'developer' as const, peer: '127.0.0.1:50000' };
const spec = { command: 'python3', args: ['train.py', '--epochs', '3'], maxCpu: 100, cpuCores: '', maxMemory: 512, maxIoBps: 0, environment: { MODE: 'fast' },
  secretKeys: ['TOKEN'], uploads: [], workDir: '/work', network: 'none', volumes: [], runtime: '', gpuCount: 0, gpuMemoryMb: 0, timeoutMs: 0 };
const output = new Uint8Array(Buffer.from('epoch 1/3 loss=0.4312 acc=0.8810 lr=0.001 elapsed=12.3s\n'));

/** A job's life in four events, repeated: submit, start, a line of output, finish. */
function event(i: number): JobEvent {
  const jobId = `00000000-0000-4000-8000-${String(Math.floor(i / 4)).padStart(12, '0')}`;
  const at = 1_700_000_000_000 + i;
  switch (i % 4) {
    case 0: return { type: 'JobSubmitted', jobId, at, by, nodeId: 'bench', spec };
    case 1: return { type: 'JobStarted', jobId, at, pid: 1000 + (i % 30000) };
    case 2: return { type: 'JobOutputWritten', jobId, at, stream: 'stdout', data: output };
    default: return { type: 'JobFinished', jobId, at, status: 'COMPLETED', exitCode: 0 };
  }
}

async function main(): Promise<void> {
  const store = EventStore.open<JobEvent>({ path: join(dir, 'events'), mapSizeBytes: 2 ** 31 });
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < total) {
      const from = next;
      next = Math.min(total, next + 1000);
      await store.append(Array.from({ length: next - from }, (_, k) => event(from + k)));
    }
  }));
  console.log(`${'append (hash chained, 16 x 1000)'.padEnd(34)} ${fmt(rate(total, performance.now() - t0)).padStart(10)} events/s  (${fmt(total)} events)`);

  const t1 = performance.now();
  let n = 0;
  for (const e of store.read()) if (e.event.type) n++;
  const readRate = rate(n, performance.now() - t1);
  console.log(`${'baseline: store.read()'.padEnd(34)} ${fmt(readRate).padStart(10)} events/s`);

  const t2 = performance.now();
  const v = verifyChain(store);
  const verifyRate = rate(total, performance.now() - t2);
  if (!v.ok || v.checked !== total) throw new Error(`verify failed on an untouched log: ${JSON.stringify(v)}`);
  console.log(`${'verifyChain() in process'.padEnd(34)} ${fmt(verifyRate).padStart(10)} events/s  ratio to read() ${(verifyRate / readRate).toFixed(2)}`);
  await store.close();

  const t3 = performance.now();
  const r = spawnSync(process.execPath, [join(process.cwd(), 'bin', 'joblet.js'), 'replay', '--data-dir', dir, '--verify'], { encoding: 'utf8' });
  const binMs = performance.now() - t3;
  if (r.status !== 0 || !r.stdout.startsWith(`ok: ${total} events verified`)) throw new Error(`joblet replay --verify: exit ${r.status}: ${r.stdout}${r.stderr}`);
  const binRate = rate(total, binMs);
  console.log(`${'joblet replay --verify (binary)'.padEnd(34)} ${fmt(binRate).padStart(10)} events/s  (${(binMs / 1000).toFixed(2)} s wall, process start included)  ratio to read() ${(binRate / readRate).toFixed(2)}`);
}

main().finally(() => rmSync(dir, { recursive: true, force: true })).catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
