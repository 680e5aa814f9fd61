// Small helpers shared by the benches. scripts/run-bench.mjs skips this file (it runs nothing).
import { spawnSync } from 'node:child_process';

/** The event count a bench works on: its first argument, else BENCH_EVENTS, else the default. */
export function benchSize(fallback: number): number {
  const given = process.argv[2] ?? process.env.BENCH_EVENTS;
  if (given === undefined) return fallback;
  const n = Number(given.replace(/_/g, ''));
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`event count must be a positive integer such as 100000 (got ${given})`);
  return n;
}

export const fmt = (n: number): string => n.toLocaleString('en-US');
export const ms = (n: number): string => `${n.toFixed(1)} ms`;

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/**
 * Runs `node <script> ...args` in a fresh process and returns the JSON object it printed last.
 * Start-up is measured this way because a real restart is a new process: a cold JIT and an empty
 * heap, not the warm ones left behind by the code that built the data.
 */
export function runChild<T>(script: string, args: string[], nodeFlags: string[] = []): T {
  const r = spawnSync(process.execPath, [...nodeFlags, script, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const lines = (r.stdout ?? '').trim().split('\n');
  if (r.status !== 0) throw new Error(`bench child ${args.join(' ')} exited ${r.status ?? r.signal}: ${(r.stderr || lines.join('\n')).trim().slice(-2000)}`);
  try {
    return JSON.parse(lines[lines.length - 1]) as T;
  } catch {
    throw new Error(`bench child ${args.join(' ')} printed no JSON result (last line: ${lines[lines.length - 1]})`);
  }
}
