// The crash harness's workload: jobs of a few kinds whose every outcome is known in advance
// (numbered lines, exit codes, stops, schedules), submitted while the daemon may die at any moment.
// Only what the daemon acknowledged is expected to exist afterwards.
import type * as grpc from '@grpc/grpc-js';
import type { JobServiceClient } from '../../src/gen/joblet/JobService.js';

export type Kind = 'print' | 'burst' | 'fail' | 'stop' | 'sched';

export interface Expectation {
  kind: Kind;
  uuid: string;
  /** exact output (stdout and stderr of these jobs never interleave) */
  output: string;
  /** exit code when it runs to its end */
  exit: number;
  /** a StopJob was acknowledged */
  stopAcked?: boolean;
  /** unix ms the job was scheduled for */
  at?: number;
}

/** mulberry32: small, seedable, good enough to pick kinds and delays reproducibly. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One unary call with a deadline: a killed daemon must not hang the harness. */
export function call<Res>(client: grpc.Client, method: string, req: unknown, ms = 5000): Promise<Res> {
  return new Promise((resolve, reject) => {
    const fn = (client as unknown as Record<string, (r: unknown, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, res: Res) => void) => void>)[method];
    fn.call(client, req, { deadline: Date.now() + ms }, (e, res) => (e ? reject(e) : resolve(res)));
  });
}

const lines = (n: number, prefix = '') => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}\n`).join('');
const EXITS = [0, 0, 1, 3, 42];

/** The RunJob request and what it must end as. */
export function pick(random: () => number): { kind: Kind; req: Record<string, unknown>; expect: Omit<Expectation, 'uuid'> } {
  const r = random();
  const exit = EXITS[Math.floor(random() * EXITS.length)];
  if (r < 0.35) {
    // slow enough to span a crash: each line a few ms apart
    const n = 20 + Math.floor(random() * 150);
    const script = `i=1; while [ $i -le ${n} ]; do echo "line $i"; i=$((i+1)); sleep 0.01; done; exit ${exit}`;
    return { kind: 'print', req: { command: 'sh', args: ['-c', script] }, expect: { kind: 'print', output: lines(n, 'line '), exit } };
  }
  if (r < 0.55) {
    const n = 1000 + Math.floor(random() * 30000);
    return { kind: 'burst', req: { command: 'sh', args: ['-c', `seq 1 ${n}; exit ${exit}`] }, expect: { kind: 'burst', output: lines(n), exit } };
  }
  if (r < 0.7) return { kind: 'fail', req: { command: 'sh', args: ['-c', 'echo oops >&2; exit 5'] }, expect: { kind: 'fail', output: 'oops\n', exit: 5 } };
  if (r < 0.85) return { kind: 'stop', req: { command: 'sleep', args: ['20'] }, expect: { kind: 'stop', output: '', exit: 0 } };
  const at = Date.now() + 300 + Math.floor(random() * 2500);
  return { kind: 'sched', req: { command: 'echo', args: ['sched'], schedule: new Date(at).toISOString() }, expect: { kind: 'sched', output: 'sched\n', exit: 0, at } };
}

/**
 * Submits jobs until `stopped()` says so; acknowledged ones land in `acked`. Stop jobs get their
 * StopJob a little later. Errors are expected (the daemon dies under us) and end the worker.
 */
export async function worker(jobs: JobServiceClient, random: () => number, acked: Expectation[], stopped: () => boolean): Promise<void> {
  while (!stopped()) {
    const { req, expect } = pick(random);
    let uuid: string;
    try {
      uuid = (await call<{ job_uuid: string }>(jobs, 'RunJob', req)).job_uuid;
    } catch {
      return;
    }
    const e: Expectation = { ...expect, uuid };
    acked.push(e);
    if (e.kind === 'stop') {
      await new Promise((r) => setTimeout(r, 50 + random() * 400));
      try { await call(jobs, 'StopJob', { uuid }); e.stopAcked = true; } catch { return; }
    }
    await new Promise((r) => setTimeout(r, random() * 60));
  }
}
