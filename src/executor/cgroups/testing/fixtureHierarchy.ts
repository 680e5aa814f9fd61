// Fake cgroup hierarchies made of plain files in a temp dir, laid out as the kernel lays them out
// (the files a root and a freshly made non-root cgroup show), so the drivers' writes can be checked
// file by file without root. A fixture cannot move processes: the kernel-only checks run in
// test/integration/cgroups against the real hierarchy.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Fixture { mountRoot: string; cleanup(): void }

function files(dir: string, contents: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(contents)) writeFileSync(join(dir, name), text);
}

export interface V2FixtureOptions {
  controllers?: string[];
  parent?: string;
  /** Linux >= 5.14 */
  cgroupKill?: boolean;
  /** swap accounting compiled in */
  swap?: boolean;
}

/** A pure v2 mount: root files, plus the job-parent as the kernel shows it once the root enabled its controllers. */
export function makeV2Fixture(o: V2FixtureOptions = {}): Fixture {
  const mountRoot = mkdtempSync(join(tmpdir(), 'joblet-cg2-'));
  const controllers = o.controllers ?? ['cpuset', 'cpu', 'io', 'memory', 'pids'];
  files(mountRoot, { 'cgroup.controllers': `${controllers.join(' ')}\n`, 'cgroup.subtree_control': '', 'cgroup.procs': '' });
  const parentFiles: Record<string, string> = {
    'cgroup.controllers': `${controllers.join(' ')}\n`, 'cgroup.subtree_control': '', 'cgroup.procs': '',
    'cgroup.events': 'populated 0\nfrozen 0\n', 'cgroup.freeze': '0\n',
  };
  if (o.cgroupKill !== false) parentFiles['cgroup.kill'] = '';
  if (controllers.includes('memory')) {
    parentFiles['memory.max'] = 'max\n';
    parentFiles['memory.oom.group'] = '0\n';
    if (o.swap !== false) parentFiles['memory.swap.max'] = 'max\n';
  }
  files(join(mountRoot, o.parent ?? 'joblet'), parentFiles);
  return { mountRoot, cleanup: () => rmSync(mountRoot, { recursive: true, force: true }) };
}

export interface V1FixtureOptions {
  controllers?: string[];
  /** memory.memsw.* present (swap accounting) */
  memsw?: boolean;
  /** memory.oom_control has the oom_kill counter (Linux >= 4.13) */
  oomKillCounter?: boolean;
  /** mount cpu and cpuacct together as "cpu,cpuacct" with symlinks, as systemd does */
  comountCpu?: boolean;
}

/** v1 controller mounts under one tmpfs, each with the root files the drivers read. */
export function makeV1Fixture(o: V1FixtureOptions = {}): Fixture {
  const mountRoot = mkdtempSync(join(tmpdir(), 'joblet-cg1-'));
  const controllers = o.controllers ?? ['cpu', 'cpuacct', 'cpuset', 'memory', 'blkio', 'pids', 'freezer'];
  const perController: Record<string, Record<string, string>> = {
    cpu: { 'cpu.cfs_period_us': '100000\n', 'cpu.cfs_quota_us': '-1\n' },
    cpuacct: { 'cpuacct.usage': '0\n' },
    cpuset: { 'cpuset.cpus': '0-1\n', 'cpuset.mems': '0\n' },
    memory: {
      'memory.limit_in_bytes': '9223372036854771712\n', 'memory.swappiness': '60\n',
      'memory.oom_control': `oom_kill_disable 0\nunder_oom 0\n${o.oomKillCounter === false ? '' : 'oom_kill 0\n'}`,
      ...(o.memsw === false ? {} : { 'memory.memsw.limit_in_bytes': '9223372036854771712\n' }),
    },
    blkio: { 'blkio.throttle.read_bps_device': '', 'blkio.throttle.write_bps_device': '' },
    pids: {},
    freezer: {},
  };
  for (const c of controllers) {
    if (o.comountCpu && (c === 'cpu' || c === 'cpuacct')) continue;
    files(join(mountRoot, c), { 'cgroup.procs': '', tasks: '', ...perController[c] });
  }
  if (o.comountCpu) {
    files(join(mountRoot, 'cpu,cpuacct'), { 'cgroup.procs': '', tasks: '', ...perController.cpu, ...perController.cpuacct });
    symlinkSync('cpu,cpuacct', join(mountRoot, 'cpu'));
    symlinkSync('cpu,cpuacct', join(mountRoot, 'cpuacct'));
  }
  return { mountRoot, cleanup: () => rmSync(mountRoot, { recursive: true, force: true }) };
}
