// Small helpers shared by the benches. scripts/run-bench.mjs skips this file (it runs nothing).
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';

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

/**
 * A fresh dir for a bench's daemon data dir and job files, under BENCH_DIR (default /var/tmp), on
 * purpose not under os.tmpdir(): a daemon's data dir lives on a disk like /opt/joblet's, and on
 * the VM these benches were tuned on, a file create below /tmp cost 0.28 ms against 0.019 ms in
 * /var/tmp or /opt of the same ext4 file system (a job creates a few), which would measure /tmp.
 */
export function benchDir(prefix: string): string {
  return mkdtempSync(join(process.env.BENCH_DIR ?? '/var/tmp', prefix));
}
