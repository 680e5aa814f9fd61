// The native executor and joblet-launcher on the real kernel, as root: namespaces, fds, exit
// statuses, stop escalation, and that nothing of a job survives it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNativeExecutor } from '../../src/executor/nativeExecutor.js';
import { defaultLauncherPath } from '../../src/executor/launcherPath.js';
import type { LaunchSpec, Observation } from '../../src/executor/types.js';

const isRoot = process.getuid?.() === 0;
const workDir = mkdtempSync(join(tmpdir(), 'joblet-launcher-it-'));
const env = { PATH: '/usr/local/bin:/usr/bin:/bin' };
const ex = createNativeExecutor();
const collectors = new Map<string, (o: Observation) => void>();
ex.onObservation((o) => collectors.get(o.jobId)?.(o));

let seq = 0;
interface Run { obs: Observation[]; started: Promise<Extract<Observation, { type: 'started' }>>; done: Promise<Observation[]>; jobId: string }

function launch(command: string, args: string[], extra: Partial<LaunchSpec> = {}): Run {
  const jobId = `it-${process.pid}-${++seq}`;
  const obs: Observation[] = [];
  let onStarted!: (o: Extract<Observation, { type: 'started' }>) => void;
  let onDone!: (o: Observation[]) => void;
  const started = new Promise<Extract<Observation, { type: 'started' }>>((r) => { onStarted = r; });
  const done = new Promise<Observation[]>((r) => { onDone = r; });
  collectors.set(jobId, (o) => {
    obs.push(o);
    if (o.type === 'started') onStarted(o);
    if (o.type === 'exited' || o.type === 'startFailed') { collectors.delete(jobId); onDone(obs); }
  });
  ex.launch({ jobId, command, args, env, workDir, ...extra });
  return { obs, started, done, jobId };
}

const sh = (script: string, extra?: Partial<LaunchSpec>) => launch('/bin/sh', ['-c', script], extra);
const text = (obs: Observation[], stream: 'stdout' | 'stderr') =>
  Buffer.concat(obs.flatMap((o) => (o.type === 'output' && o.stream === stream ? [o.data] : []))).toString();
const last = (obs: Observation[]) => obs[obs.length - 1];
const pgrep = (pattern: string) => {
  try { return execFileSync('pgrep', ['-f', pattern]).toString().trim().split('\n'); } catch { return []; }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Fails instead of hanging the file when a job that should be gone keeps its pipes open. */
const within = <T>(ms: number, what: string, p: Promise<T>) =>
  Promise.race([p, sleep(ms).then(() => { throw new Error(`${what}: not done after ${ms} ms`); })]);

/** A test that needs root says why it skipped instead of passing silently (uvu prints no names). */
function rootTest(name: string, fn: () => Promise<void>) {
  if (isRoot) return test(name, fn);
  console.log(`skip: ${name} (needs root: namespaces and mounts)`);
  test.skip(name);
}

rootTest('echo: started, stdout, exited 0 in that order', async () => {
  const obs = await launch('echo', ['hello']).done;
  assert.equal(obs.map((o) => o.type), ['started', 'output', 'exited']);
  assert.ok((obs[0] as { pid: number }).pid > 1);
  assert.is(text(obs, 'stdout'), 'hello\n');
  assert.equal(last(obs), { type: 'exited', jobId: last(obs).jobId, exitCode: 0, at: last(obs).at });
});

rootTest('stderr is kept apart from stdout', async () => {
  const obs = await sh('echo out; echo err >&2').done;
  assert.is(text(obs, 'stdout'), 'out\n');
  assert.is(text(obs, 'stderr'), 'err\n');
});

rootTest('the exit code comes through', async () => {
  const obs = await sh('exit 3').done;
  assert.is((last(obs) as { exitCode: number }).exitCode, 3);
  assert.is((last(obs) as { signal?: string }).signal, undefined);
});

rootTest('a job killed by a signal exits 128+n with the signal named', async () => {
  const obs = await sh('kill -KILL $$').done;
  assert.equal({ ...last(obs), at: 0 }, { type: 'exited', jobId: last(obs).jobId, exitCode: 137, signal: 'SIGKILL', at: 0 });
});

rootTest('a command that does not exist is startFailed with ENOENT, alone', async () => {
  const obs = await launch('ls2-not-a-command', []).done;
  assert.equal(obs.map((o) => o.type), ['startFailed']);
  assert.is((obs[0] as { reason: string }).reason, 'exec ls2-not-a-command: ENOENT (no such file or directory)');
});

rootTest('a missing work dir is startFailed naming chdir and the path', async () => {
  const obs = await launch('true', [], { workDir: join(workDir, 'missing') }).done;
  assert.equal(obs.map((o) => o.type), ['startFailed']);
  assert.is((obs[0] as { reason: string }).reason, `chdir ${join(workDir, 'missing')}: ENOENT (no such file or directory)`);
});

rootTest('pid namespace: /proc lists only the job (init is 1, the job 2)', async () => {
  const obs = await sh('echo $$; ls /proc | grep -E "^[0-9]+$"').done;
  const [self, ...pids] = text(obs, 'stdout').trim().split('\n').map(Number);
  assert.is(self, 2);
  assert.ok(pids.includes(1) && pids.includes(2), `pids ${pids}`);
  assert.ok(pids.length <= 5 && pids.every((p) => p < 20), `pids ${pids}`);
  assert.not.ok(pids.includes(process.pid));
});

rootTest('the started pid is the job in the host pid namespace', async () => {
  const run = sh('sleep 5');
  const { pid } = await run.started;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  assert.match(status, new RegExp(`^NSpid:\\s+${pid}\\s+2$`, 'm'));
  await ex.stop(run.jobId, 1000);
});

rootTest('uts namespace: the job has its hostname, the host keeps its own', async () => {
  const before = hostname();
  const obs = await launch('hostname', [], { hostname: 'job-box' }).done;
  assert.is(text(obs, 'stdout'), 'job-box\n');
  assert.is(hostname(), before);
});

rootTest('the cwd is the work dir and the environment is exactly the spec', async () => {
  const obs = await sh('pwd; env', { env: { ...env, FOO: 'bar baz' } }).done;
  const [cwd, ...vars] = text(obs, 'stdout').trim().split('\n');
  assert.is(cwd, workDir);
  // sh adds PWD itself; nothing of the daemon's environment (HOME, USER...) may appear
  assert.equal(vars.filter((v) => !v.startsWith('PWD=')).sort(), [`FOO=bar baz`, `PATH=${env.PATH}`]);
});

rootTest('mount namespace: a mount made by the job never reaches the host', async () => {
  const target = join(workDir, 'job-mount');
  const obs = await sh(`mkdir -p ${target} && mount -t tmpfs joblet-it ${target} && grep -c " ${target} " /proc/self/mountinfo`).done;
  assert.is(text(obs, 'stdout'), '1\n', text(obs, 'stderr'));
  assert.not.match(readFileSync('/proc/self/mountinfo', 'utf8'), ` ${target} `);
});

rootTest('only fds 0, 1 and 2 are open in the job', async () => {
  const obs = await sh('ls /proc/$$/fd; echo -; ls /proc/self/fd').done;
  // the second listing also shows ls's own directory fd
  assert.is(text(obs, 'stdout'), '0\n1\n2\n-\n0\n1\n2\n3\n');
});

rootTest('the job runs in its own session', async () => {
  const obs = await sh('ps -o sid= -p $$ 2>/dev/null || cut -d" " -f6 /proc/$$/stat').done;
  assert.is(text(obs, 'stdout').trim(), '2');
});

rootTest('a megabyte of output arrives whole before exited', async () => {
  const obs = await launch('head', ['-c', '1000000', '/dev/zero']).done;
  const bytes = obs.filter((o) => o.type === 'output').reduce((n, o) => n + (o as { data: Buffer }).data.length, 0);
  assert.is(bytes, 1_000_000);
  assert.is(last(obs).type, 'exited');
});

rootTest('stop: SIGTERM ends a cooperative job within the grace', async () => {
  const run = sh('sleep 1000');
  await run.started;
  assert.equal(ex.running().includes(run.jobId), true);
  await ex.stop(run.jobId, 5000);
  // SIGTERM, not the SIGKILL that would follow the 5 s grace: the job ended within it
  const end = last(await run.done) as { exitCode: number; signal?: string };
  assert.equal([end.exitCode, end.signal], [143, 'SIGTERM']);
  assert.not.ok(ex.running().includes(run.jobId));
});

rootTest('stop: a job ignoring SIGTERM is SIGKILLed after the grace', async () => {
  const run = sh('trap "" TERM; sleep 1000');
  await run.started;
  await sleep(50); // let sh install its trap
  const t0 = Date.now();
  await within(5000, 'stop', ex.stop(run.jobId, 300));
  assert.ok(Date.now() - t0 >= 290, `stopped after ${Date.now() - t0} ms`);
  const end = last(await run.done) as { exitCode: number; signal?: string };
  assert.equal([end.exitCode, end.signal], [137, 'SIGKILL']);
});

rootTest('stop: a daemonized grandchild does not survive', async () => {
  const marker = `1000.${process.pid}${seq}7`; // sleep takes fractional seconds: a unique argument
  const run = sh(`setsid sleep ${marker} & sleep ${marker}`);
  await run.started;
  const sleepers = `^sleep ${marker.replace('.', '\\.')}$`;
  for (let i = 0; i < 100 && pgrep(sleepers).length < 2; i++) await sleep(10);
  assert.is(pgrep(sleepers).length, 2);
  await within(5000, 'stop', ex.stop(run.jobId, 1000));
  // neither sleep, nor sh, nor the launcher and its init (their argv holds the marker too)
  assert.equal(pgrep(marker), []);
});

rootTest('signal reaches every process of the job', async () => {
  const run = sh('trap "echo got-term; exit 7" TERM; sleep 1000 & wait');
  await run.started;
  await sleep(50);
  assert.is(ex.signal(run.jobId, 'SIGTERM'), true);
  const obs = await run.done;
  assert.is(text(obs, 'stdout'), 'got-term\n');
  assert.is((last(obs) as { exitCode: number }).exitCode, 7);
  assert.is(ex.signal(run.jobId, 'SIGTERM'), false);
});

/** The launcher binary alone: its status lines, stdout and exit code. */
function launcher(args: string[], onStdout?: (chunk: string, pid: number) => void, extraFds = 0) {
  const extra = Array.from({ length: extraFds }, () => 'pipe' as const);
  const child = spawn(defaultLauncherPath(), args, { env, stdio: ['ignore', 'pipe', 'inherit', 'pipe', ...extra] });
  let out = '';
  let status = '';
  child.stdout!.on('data', (d) => { out += d; onStdout?.(String(d), child.pid!); });
  child.stdio[3]!.on('data', (d) => { status += d; });
  return new Promise<{ code: number | null; out: string; status: string }>((r) => child.on('close', (code) => r({ code, out, status })));
}

for (const sig of ['SIGINT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'] as const) {
  rootTest(`the launcher forwards ${sig} to the job`, async () => {
    const name = sig.slice(3);
    const script = `trap "echo caught-${name}; exit 5" ${name}; echo ready; sleep 1000 & wait`;
    const res = await launcher(['--status-fd', '3', '--', '/bin/sh', '-c', script], (chunk, pid) => { if (chunk.includes('ready')) process.kill(pid, sig); });
    assert.is(res.out, `ready\ncaught-${name}\n`);
    assert.match(res.status, /^started \d+\nexited 5\n$/);
    assert.is(res.code, 5);
  });
}

rootTest('fds the launcher inherits beyond the status fd do not reach the job', async () => {
  // spawn passes fds 4 and 5 without close-on-exec: only the job's own close step removes them
  const res = await launcher(['--status-fd', '3', '--', '/bin/sh', '-c', 'ls /proc/$$/fd'], undefined, 2);
  assert.is(res.out, '0\n1\n2\n');
  assert.match(res.status, /^started \d+\nexited 0\n$/);
});

rootTest('the launcher rejects a bad command line with a status line and 127', async () => {
  const res = await launcher(['--status-fd', '3', '--bogus', 'x', '--', 'true']);
  assert.is(res.code, 127);
  assert.match(res.status, /^error args: EINVAL \(--bogus is an unknown option; usage: joblet-launcher /);
});

rootTest('the launcher refuses isolation flags that do not fit together', async () => {
  const cases: Array<[string[], string]> = [
    [['--ro-bind', '/usr'], '--ro-bind, --uploads, --work-size and --tmp-size need --root'],
    [['--uid', '1'], '--uid and --gid go together'],
    [['--root', '/tmp', '--workdir', '/work'], '--root needs --work-size and --tmp-size above 0'],
    [['--root', '/tmp', '--workdir', 'work', '--work-size', '1', '--tmp-size', '1'], '--workdir must be an absolute path'],
    [['--cgroup', '/sys/fs/cgroup/../x'], '--cgroup must not contain . or .. components'],
    [['--root', '/tmp', '--workdir', '/tmp/w', '--work-size', '1', '--tmp-size', '1'], '--workdir must not be /tmp, /dev, /proc, /sys or below them'],
    [['--seccomp', 'lenient'], '--seccomp must be default, strict or off'],
    [['--network', 'bridge'], '--network must be none or host'],
    [['--network', 'host', '--netns-fd', '0'], '--netns-fd must be >= 3'],
    [['--network', 'host', '--netns-fd', '77'], '--netns-fd is not an open file descriptor'],
    [['--work-size', '-1'], '--work-size must be a decimal number in range'],
  ];
  for (const [flags, message] of cases) {
    const res = await launcher(['--status-fd', '3', ...flags, '--', 'true']);
    assert.is(res.code, 127, flags.join(' '));
    assert.ok(res.status.startsWith(`error args: EINVAL (${message}; usage: `), res.status);
  }
});

rootTest('a SIGKILLed launcher takes its whole job with it', async () => {
  const marker = `1000.${process.pid}${seq}9`;
  const res = await within(5000, 'job of a killed launcher', launcher(['--status-fd', '3', '--', '/bin/sh', '-c', `setsid sleep ${marker} & echo ready; sleep ${marker}`], (chunk, pid) => { if (chunk.includes('ready')) process.kill(pid, 'SIGKILL'); }));
  assert.is(res.code, null);
  for (let i = 0; i < 100 && pgrep(marker).length > 0; i++) await sleep(10);
  assert.equal(pgrep(marker), []);
});

rootTest('p50 of 100 sequential /bin/true launches (reported, not asserted)', async () => {
  const times: number[] = [];
  for (let i = 0; i < 100; i++) {
    const t0 = process.hrtime.bigint();
    const obs = await launch('/bin/true', []).done;
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    assert.is(last(obs).type, 'exited');
  }
  times.sort((a, b) => a - b);
  console.log(`launch /bin/true x100: p50 ${times[49].toFixed(2)} ms, p90 ${times[89].toFixed(2)} ms, max ${times[99].toFixed(2)} ms`);
});

rootTest('close with stopJobs kills every job still running', async () => {
  const a = sh('trap "" TERM; sleep 1000');
  const b = sh('sleep 1000');
  await Promise.all([a.started, b.started]);
  await within(5000, 'close', ex.close({ stopJobs: true }));
  assert.equal(ex.running(), []);
  for (const r of [a, b]) assert.is((last(await r.done) as { signal?: string }).signal, 'SIGKILL');
  assert.throws(() => ex.launch({ jobId: 'late', command: 'true', args: [], env, workDir }), /executor is closed/);
});

test.after(() => rmSync(workDir, { recursive: true, force: true }));
test.run();
