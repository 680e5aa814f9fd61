// Test helper: a real LMDB event store in a fresh directory under os.tmpdir().
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventStore } from '../../../src/persist/eventStore.js';

export interface TestEvent { type: 'Ticked' | 'Noted'; n: number; jobId?: string }

export function tempDir(): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'joblet-eventstore-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function openStore(dir: string): EventStore<TestEvent> {
  return EventStore.open<TestEvent>({ path: dir });
}

export function ticks(from: number, count: number, jobId?: string): TestEvent[] {
  return Array.from({ length: count }, (_, i) => ({ type: 'Ticked' as const, n: from + i, ...(jobId ? { jobId } : {}) }));
}

/** Polls until cond() holds or the deadline passes (then throws with the label). */
export async function until(cond: () => boolean, label: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** uvu has no async throws: asserts that fn() rejects with a message matching re. */
export async function rejects(fn: () => Promise<unknown>, re: RegExp): Promise<void> {
  let err: unknown;
  try { await fn(); } catch (e) { err = e; }
  if (!(err instanceof Error)) throw new Error(`expected a rejection matching ${re}, got ${err === undefined ? 'success' : String(err)}`);
  if (!re.test(err.message)) throw new Error(`rejection "${err.message}" does not match ${re}`);
}
