// Isolation spec #1 (pid namespace), #7 (ipc, uts and cgroup namespaces, with the job placed in
// its cgroups before it runs) and #25 (own session), each checked from inside a fully isolated
// job on the real kernel.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { closeExecutor, probeBinary, rootTest, runJob, sh } from './runJob.js';

rootTest(test, '#1 the command is pid 2, the child of our init (pid 1); /proc lists only the job', async () => {
  let nspid = '';
  const r = await runJob('/bin/sh', ['-c', 'echo $$ $PPID; sleep 0.2; for p in /proc/[0-9]*; do echo "${p#/proc/} $(awk "/^Uid/{print \\$2}" $p/status)"; done'], {
    onStarted: (pid) => { nspid = (readFileSync(`/proc/${pid}/status`, 'utf8').match(/^NSpid:\s+(.*)$/m) ?? [])[1] ?? ''; },
  });
  const [self, ...procs] = r.stdout.trim().split('\n');
  assert.is(self, '2 1', r.stderr + (r.startFailed ?? ''));
  assert.match(nspid, /^\d+\s+2$/); // the host sees the same process as pid 2 of a child namespace
  // only the job's own processes (its user, its small pids), not init (root, hidden) nor the host's
  assert.ok(procs.length >= 1 && procs.length <= 4, r.stdout);
  for (const p of procs) assert.match(p, /^\d+ 65534$/, r.stdout);
  assert.not.ok(procs.some((p) => p.startsWith(`${process.pid} `)));
});

rootTest(test, "#7 ipc namespace: the host's System V IPC objects are not visible", async () => {
  const id = execFileSync('ipcmk', ['-M', '4096']).toString().match(/(\d+)/)![1];
  try {
    assert.match(execFileSync('ipcs', ['-m']).toString(), new RegExp(`\\b${id}\\b`));
    const r = await sh('ipcs -m; ipcs -q; ipcs -s');
    assert.not.match(r.stdout, new RegExp(`\\b${id}\\b`));
    assert.is(r.stdout.match(/^0x/gm), null, r.stdout); // no object of any kind
  } finally {
    execFileSync('ipcrm', ['-m', id]);
  }
});

rootTest(test, "#7 uts namespace: the job has its hostname, the host keeps its own", async () => {
  const before = hostname();
  const r = await sh('hostname; cat /proc/sys/kernel/hostname', { hostname: 'job-7f3a' });
  assert.is(r.stdout, 'job-7f3a\njob-7f3a\n');
  assert.is(hostname(), before);
});

// v1 controller dirs on this host, plus the v2 dir where a v2 hierarchy is mounted
function makeCgroups(name: string): string[] {
  const dirs = ['pids', 'memory', 'cpu', 'unified'].map((c) => `/sys/fs/cgroup/${c}`).filter((d) => existsSync(`${d}/cgroup.procs`));
  return dirs.map((d) => { mkdirSync(`${d}/${name}`, { recursive: true }); return `${d}/${name}`; });
}

rootTest(test, '#7 cgroup namespace: the job is in its cgroups before it runs, and sees "/"', async () => {
  const dirs = makeCgroups(`joblet-it-${process.pid}`);
  if (dirs.length === 0) { console.log('skip: #7 cgroup join (no cgroup hierarchy mounted under /sys/fs/cgroup)'); return; }
  try {
    let hostView = '';
    const inCgroups: string[] = [];
    const r = await runJob('/bin/sh', ['-c', 'cat /proc/self/cgroup; sleep 0.3'], {
      cgroupDirs: dirs,
      onStarted: (pid) => {
        hostView = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
        for (const d of dirs) if (readFileSync(`${d}/cgroup.procs`, 'utf8').split('\n').includes(String(pid))) inCgroups.push(d);
      },
    });
    assert.ok(r.stdout.length > 0, r.startFailed);
    for (const line of r.stdout.trim().split('\n')) assert.match(line, /:\/$/, line);
    assert.equal(inCgroups, dirs);
    for (const d of dirs) assert.ok(hostView.includes(`:/joblet-it-${process.pid}\n`), `${d} in ${hostView}`);
  } finally {
    for (const d of dirs) rmdirSync(d);
  }
});

rootTest(test, '#7 a missing cgroup is startFailed naming the dir, the errno and the fix', async () => {
  const r = await runJob('/bin/true', [], { cgroupDirs: ['/sys/fs/cgroup/pids/joblet-missing-cgroup'] });
  assert.is(r.startFailed, 'join cgroup /sys/fs/cgroup/pids/joblet-missing-cgroup: ENOENT (no such file or directory; does the cgroup exist? the daemon creates it before the launch)');
});

rootTest(test, '#25 the job leads its own session and has no controlling terminal', async () => {
  const r = await sh('cut -d" " -f6,7 /proc/$$/stat; ./probe tiocsti', { uploads: { probe: { from: probeBinary() } } });
  // session id = the job's pid (2); tty_nr 0 = no controlling terminal; /dev/tty cannot be opened
  assert.is(r.stdout, '2 0\ntiocsti=ENXIO\n', r.stderr + (r.startFailed ?? ''));
});

test.after(closeExecutor);
test.run();
