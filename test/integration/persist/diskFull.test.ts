// A full persist dir: a small tmpfs mounted over DATA_DIR/logs before the daemon starts, then
// filled. A job still runs to its end, the daemon still answers (its output from the log), the
// condition is reported in GetSystemStatus; once the tmpfs is remounted bigger, the child
// catches up by itself and the job's files are complete.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestDaemon, collect } from '../../support/testDaemon.js';
import { jobDir, numbered, persisted, readJobFiles, runJob, systemFacts, untilEnded } from './persistFixture.js';

function fill(file: string): void {
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(4096, 0x61);
  try {
    for (;;) writeSync(fd, block);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
}

async function until<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await get();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('disk full: jobs run, the daemon answers and reports it, the files catch up when space returns', async () => {
  if (process.getuid?.() !== 0) {
    console.log('skip: mounting a tmpfs needs root');
    return;
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'joblet-persistfull-'));
  const logs = join(dataDir, 'logs');
  mkdirSync(logs);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', logs]);
  try {
    const d = await startTestDaemon({ dataDir });
    try {
      await until('the persist child to start', async () => d.daemon.persist.facts()['persist.childRestarts'], () => d.daemon.persist.childPid !== undefined);
      fill(join(logs, 'filler'));
      const id = await runJob(d, 'sh', ['-c', 'for i in $(seq 1 20000); do echo line$i; done; echo done >&2']);
      assert.is((await untilEnded(d, id)).status, 'COMPLETED', 'the job runs to its end');
      const facts = await until('persist.diskFull', () => systemFacts(d), (f) => f['persist.diskFull'] === 'true');
      assert.ok(facts['persist.lastError']?.includes('ENOSPC'), facts['persist.lastError']);
      assert.ok(Number(facts['persist.lagEvents']) > 0, 'the files are behind the log');
      // The daemon answers, with the job's output from the log.
      const chunks = await collect<{ payload: Buffer }>(d.jobs(), 'GetJobLogs', { uuid: id });
      assert.is(Buffer.concat(chunks.map((c) => c.payload)).toString(), numbered('line', 20000) + 'done\n');

      execFileSync('mount', ['-o', 'remount,size=16m', logs]);
      await persisted(d);
      const after = await systemFacts(d);
      assert.is(after['persist.diskFull'], 'false');
      assert.is(after['persist.lastError'], undefined);
      const f = readJobFiles(jobDir(d, id));
      assert.ok(f.compressed);
      assert.is(f.stdout, numbered('line', 20000));
      assert.is(f.stderr, 'done\n');
    } finally {
      await d.close();
    }
  } finally {
    execFileSync('umount', [logs]);
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('full before the daemon starts (the first checkpoint cannot be written): retries until space returns', async () => {
  if (process.getuid?.() !== 0) {
    console.log('skip: mounting a tmpfs needs root');
    return;
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'joblet-persistfull0-'));
  const logs = join(dataDir, 'logs');
  mkdirSync(logs);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', logs]);
  try {
    fill(join(logs, 'filler'));
    const d = await startTestDaemon({ dataDir });
    try {
      await until('persist.diskFull', () => systemFacts(d), (f) => f['persist.diskFull'] === 'true');
      const id = await runJob(d, 'sh', ['-c', 'seq 1 5000']);
      assert.is((await untilEnded(d, id)).status, 'COMPLETED');
      // Two failed tries at least (recovery itself fails while the disk is full), then space.
      await new Promise((r) => setTimeout(r, 700));
      execFileSync('mount', ['-o', 'remount,size=16m', logs]);
      await persisted(d);
      assert.is(readJobFiles(jobDir(d, id)).stdout, Array.from({ length: 5000 }, (_, i) => `${i + 1}\n`).join(''));
      assert.is((await systemFacts(d))['persist.diskFull'], 'false');
    } finally {
      await d.close();
    }
  } finally {
    execFileSync('umount', [logs]);
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test.run();
