// The argv split decides what belongs to rnx and what to the job; a wrong split silently changes
// the job's command line, so each shape scripts use is pinned here.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { flagValues, splitArgv } from './argv.js';

test('job run: everything from the first word after the verb is the job, flags included', () => {
  assert.equal(splitArgv(['job', 'run', 'ls', '-la']), { cli: ['run'], job: ['ls', '-la'], group: 'job' });
  assert.equal(splitArgv(['run', 'sh', '-c', 'echo a']), { cli: ['run'], job: ['sh', '-c', 'echo a'], group: undefined });
});

test('rnx flags before the command are kept for cac, with their values', () => {
  const s = splitArgv(['--config', 'c.yml', 'job', 'run', '--max-cpu', '50', '-e', 'A=1', '--upload=x', '--json', 'python3', '-c', 'print(1)', '--json']);
  assert.equal(s.cli, ['--config', 'c.yml', 'run', '--max-cpu', '50', '-e', 'A=1', '--upload=x', '--json']);
  assert.equal(s.job, ['python3', '-c', 'print(1)', '--json']);
});

test('a flag value that looks like a word is not mistaken for the command', () => {
  const s = splitArgv(['run', '--network', 'bridge', '--schedule', '2025-01-02 10:00:00', 'echo', 'hi']);
  assert.equal(s.job, ['echo', 'hi']);
  assert.equal(s.cli, ['run', '--network', 'bridge', '--schedule', '2025-01-02 10:00:00']);
});

test('-- ends rnx flags for run, so a job command may start with a dash', () => {
  assert.equal(splitArgv(['job', 'run', '--max-cpu=10', '--', '--weird', 'x']).job, ['--weird', 'x']);
  assert.equal(splitArgv(['run', '--', 'echo', '--', 'y']).job, ['echo', '--', 'y']);
});

test('other verbs pass through whole, with the group word folded away', () => {
  assert.equal(splitArgv(['job', 'status', '--json', 'abcd1234']), { cli: ['status', '--json', 'abcd1234'], job: [], group: 'job' });
  assert.equal(splitArgv(['--node', 'job', 'list']), { cli: ['--node', 'job', 'list'], job: [], group: undefined });
  assert.equal(splitArgv(['job', 'run']), { cli: ['run'], job: [], group: 'job' });
});

test('flagValues returns every value as typed, for any spelling of the flag', () => {
  const cli = ['run', '-e', 'A=1', '--env=B=2', '--max-cpu', '007', '--json', '--volume', '1e3', '--env', 'C='];
  assert.equal(flagValues(cli, ['-e', '--env']), ['A=1', 'B=2', 'C=']);
  assert.equal(flagValues(cli, ['--max-cpu']), ['007']);
  assert.equal(flagValues(cli, ['--volume']), ['1e3']);
  assert.equal(flagValues(cli, ['--json']), []);
  assert.equal(flagValues(['status', 'abc', '--', '--node', 'x'], ['--node']), []);
});

test.run();
