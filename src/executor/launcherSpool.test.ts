// The real launcher's --spool (decision 0024): the spool made on disk at the given path at the
// job's first output, its dir made if missing, linked into the state dir; none for a job that
// prints nothing; and a spool that already exists stops the launch before the job runs (another
// supervisor ran this job). Without isolation (no root), so the job's effects are on the host.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultLauncherPath } from './launcherPath.js';
import { launcherArgs } from './launcherProtocol.js';
import { readRecords, SPOOL_START } from './spool.js';
import { readSupervisorStatus } from './supervisorFiles.js';

const root = process.getuid?.() === 0;
if (!root) console.log('skipping launcherSpool: the launcher needs root (pid namespace)');
const rootTest = root ? test : test.skip;
const dir = mkdtempSync(join(tmpdir(), 'joblet-launcher-spool-'));

function launch(name: string, script: string, spoolFile: string, outputBatchMs?: number): { stateDir: string; status: ReturnType<typeof readSupervisorStatus> } {
  const stateDir = join(dir, 'state', name);
  mkdirSync(stateDir, { recursive: true });
  const args = launcherArgs({ jobId: name, command: '/bin/sh', args: ['-c', script], env: {}, workDir: dir, stateDir, spoolFile, outputBatchMs });
  // the timeout only bounds a broken build (a fast writer made to wait per read would take minutes)
  const r = spawnSync(defaultLauncherPath(), args, { env: { PATH: '/usr/bin:/bin' }, stdio: 'ignore', timeout: 60_000 });
  assert.is(r.signal, null, `the launcher of ${name} ran past its bound`);
  return { stateDir, status: readSupervisorStatus(stateDir) };
}

rootTest('the spool is made at --spool (and its dir), linked into the state dir, and holds the output', async () => {
  const spoolFile = join(dir, 'jobs', 'a', 'output.spool');
  mkdirSync(join(dir, 'jobs'));
  const { stateDir, status } = launch('a', 'echo hello', spoolFile);
  assert.equal(status?.final, { kind: 'exited', code: 0 });
  assert.is(readlinkSync(join(stateDir, 'output.spool')), spoolFile);
  const { records } = await readRecords(spoolFile, SPOOL_START);
  assert.equal(records.map((r) => [r.stream, r.data.toString()]), [['stdout', 'hello\n']]);
});

rootTest('a job that prints nothing leaves no spool and no symlink', () => {
  const spoolFile = join(dir, 'jobs', 'silent', 'output.spool');
  const { stateDir, status } = launch('silent', 'true', spoolFile);
  assert.equal(status?.final, { kind: 'exited', code: 0 });
  assert.not.ok(existsSync(spoolFile), 'no spool');
  assert.not.ok(existsSync(join(stateDir, 'output.spool')), 'no symlink');
});

rootTest('an existing spool: the launch fails naming it, and the job never ran', () => {
  const spoolFile = join(dir, 'taken.spool');
  writeFileSync(spoolFile, 'JSPOOL1\n');
  const ran = join(dir, 'ran');
  const { status } = launch('b', `touch ${ran}`, spoolFile);
  assert.match(String(status?.error), `open ${spoolFile}: EEXIST`);
  assert.match(String(status?.error), 'a supervisor already ran for this job');
  assert.not.ok(existsSync(ran), 'the job did not run');
  assert.is(readFileSync(spoolFile, 'utf8'), 'JSPOOL1\n', 'the other supervisor\'s spool is untouched');
});

rootTest('--output-batch-ms: lines printed a few ms apart share records, in order and whole', async () => {
  const spoolFile = join(dir, 'batched.spool');
  const script = 'i=0; while [ $i -lt 20 ]; do i=$((i+1)); echo line$i; sleep 0.005; done';
  const { status } = launch('batched', script, spoolFile, 300);
  assert.equal(status?.final, { kind: 'exited', code: 0 });
  const { records } = await readRecords(spoolFile, SPOOL_START);
  const expected = Array.from({ length: 20 }, (_, i) => `line${i + 1}\n`).join('');
  assert.is(records.map((r) => r.data.toString()).join(''), expected);
  // 20 lines over >= 100 ms: the first read takes line 1, then the pipes rest 300 ms at a time
  assert.ok(records.length <= 4, `20 lines in ${records.length} records`);
});

rootTest('--output-batch-ms: a fast writer is never made to wait (full reads do not rest the pipes)', async () => {
  const spoolFile = join(dir, 'fast.spool');
  // 32 MiB: at one 64 KiB read per 1 s rest this would take 512 s, past the launch's bound
  const { status } = launch('fast', 'head -c 33554432 /dev/zero', spoolFile, 1000);
  assert.equal(status?.final, { kind: 'exited', code: 0 });
  const { records } = await readRecords(spoolFile, SPOOL_START, 64 << 20);
  assert.is(records.reduce((n, r) => n + r.data.length, 0), 32 << 20);
});

test.after(() => rmSync(dir, { recursive: true, force: true }));
test.run();
