// Where a job's files go: the supervisor's small files on a tmpfs (/dev/shm), the spool in the
// spool dir and uploads and secrets in the job dir on disk; what goes when the job ends and when it is deleted.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statfsSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JobFiles, tmpfsStateRoot } from './jobFiles.js';

const disk = mkdtempSync(join(tmpdir(), 'joblet-jobfiles-'));
const hasShm = (() => { try { return statfsSync('/dev/shm').type === 0x01021994; } catch { return false; } })();
const shmTest = hasShm ? test : test.skip;
if (!hasShm) console.log('skipping the tmpfs tests: /dev/shm is not a tmpfs on this host');
const nodeId = `test-${process.pid}`;
const made: string[] = [];

test('no tmpfs at the base: undefined, and the state dir is the job dir', () => {
  assert.is(tmpfsStateRoot(nodeId, disk), undefined);
  const files = new JobFiles(join(disk, 'a', 'jobs'), join(disk, 'a', 'run'));
  assert.equal(files.launchPaths('j1'), { stateDir: join(disk, 'a', 'jobs', 'j1') });
});

shmTest('on a tmpfs: a 0700 dir of ours per node; state dir there, spool in the spool dir on disk', () => {
  const root = tmpfsStateRoot(nodeId)!;
  made.push(root);
  assert.is(root, `/dev/shm/joblet-${nodeId}`);
  assert.is(statSync(root).mode & 0o777, 0o700);
  assert.is(tmpfsStateRoot(nodeId), root, 'found again at the next start');
  const files = new JobFiles(join(disk, 'b', 'jobs'), join(disk, 'b', 'run'), root);
  assert.equal(files.launchPaths('j1'), { stateDir: join(root, 'j1'), spoolFile: join(disk, 'b', 'spool', 'j1') });
});

shmTest('a dir at that name that is not ours (others may write /dev/shm) is refused, naming it', () => {
  const squat = `/dev/shm/joblet-${nodeId}-squat`;
  made.push(squat);
  mkdirSync(squat);
  chmodSync(squat, 0o755);
  assert.throws(() => tmpfsStateRoot(`${nodeId}-squat`), new RegExp(`${squat}: not a directory of uid ${process.geteuid!()} with mode 0700 \\(it is uid ${process.geteuid!()}, mode 755\\)`));
  const link = `/dev/shm/joblet-${nodeId}-link`;
  made.push(link);
  symlinkSync(disk, link);
  assert.throws(() => tmpfsStateRoot(`${nodeId}-link`), /it is a symlink/);
});

shmTest('the end empties the spool and removes the state dir; DeleteJob removes both dirs; listed() names both', () => {
  const root = tmpfsStateRoot(nodeId)!;
  const files = new JobFiles(join(disk, 'c', 'jobs'), join(disk, 'c', 'run'), root);
  const { stateDir, spoolFile } = files.launchPaths('j2');
  mkdirSync(stateDir);
  writeFileSync(join(stateDir, 'status'), 'started 1\nexited 0\n');
  mkdirSync(join(disk, 'c', 'jobs', 'j2'));
  writeFileSync(spoolFile!, 'JSPOOL1\n0123456789');
  mkdirSync(join(root, 'orphan'));
  mkdirSync(join(disk, 'c', 'jobs', 'uploads-only'));
  writeFileSync(join(disk, 'c', 'spool', 'set-aside.corrupt'), '');
  assert.equal(files.listed().sort(), ['j2', 'orphan', 'set-aside', 'uploads-only'], 'a spool set aside as corrupt names its job');
  files.forgetEnded('j2', false);
  assert.not.ok(existsSync(stateDir), 'the state dir is gone');
  assert.is(statSync(spoolFile!).size, 0, 'the spool is emptied, its inode kept');
  files.remove('j2');
  files.remove('orphan');
  files.remove('uploads-only');
  files.remove('set-aside');
  assert.not.ok(existsSync(join(disk, 'c', 'jobs', 'j2')) || existsSync(spoolFile!), 'job dir and spool are gone');
  assert.equal(files.listed(), []);
  assert.equal(readdirSync(root), []);
});

shmTest('a job an older daemon launched keeps its state in its job dir: statePaths finds it there', () => {
  const root = tmpfsStateRoot(nodeId)!;
  const files = new JobFiles(join(disk, 'd', 'jobs'), join(disk, 'd', 'run'), root);
  mkdirSync(join(disk, 'd', 'jobs', 'old'));
  writeFileSync(join(disk, 'd', 'jobs', 'old', 'supervisor.pid'), '1 1\n');
  assert.equal(files.statePaths('old'), { stateDir: join(disk, 'd', 'jobs', 'old') });
  assert.equal(files.statePaths('new'), files.launchPaths('new'), 'a job with no files anywhere: the new layout');
  files.close();
  assert.not.ok(existsSync(root), 'an empty root goes at close');
});

test.after(() => {
  rmSync(disk, { recursive: true, force: true });
  for (const m of made) rmSync(m, { recursive: true, force: true });
});
test.run();
