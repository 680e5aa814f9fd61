// The cgroup v2 driver: one dir per job under <mountRoot>/<parent>, limits in that one dir.
// A controller's files appear in a child only when the parent lists it in cgroup.subtree_control
// (cgroup-v2.rst "Enabling and Disabling"), so setup enables them from the mount root down to the
// job-parent. The job-parent holds no processes: the "no internal process" rule allows controllers
// only in cgroups whose processes live in leaves.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CgroupError, hasFile, readCgroupFileSync } from './cgroupFiles.js';
import { checkEnforceable, dataDevice, ioDevicesFor, listJobIds, madeDir, neededControllers, sweepOrphans } from './driverCommon.js';
import { killByCgroupKill, killByFreezeV2, killBySignalLoop } from './killCgroup.js';
import { removeCgroupDir } from './removeCgroup.js';
import { oomKilledV2, readStatsV2 } from './v2Stats.js';
import { writeCpuMax, writeCpusetCpus, writeIoMax, writeMemoryV2, writePidsMax } from './v2Limits.js';
import { validateJobId, validateLimits } from './validateLimits.js';
import type { CgroupDriver, CgroupFacts, DriverOptions, JobCgroup, JobLimits, KillMethod } from './types.js';

const WANTED = ['cpu', 'cpuset', 'memory', 'io', 'pids'];

const words = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8').split(/\s+/).filter(Boolean).map((w) => w.replace(/^\+/, '')) : []);

/** Enables what `dir` may pass down, in one write (a list is accepted), falling back to one by one. */
function enableSubtree(dir: string, missing: Set<string>): void {
  const offer = words(join(dir, 'cgroup.controllers'));
  const want = WANTED.filter((c) => offer.includes(c));
  for (const c of WANTED) if (!offer.includes(c)) missing.add(c);
  if (want.length === 0) return;
  const file = join(dir, 'cgroup.subtree_control');
  try {
    writeFileSync(file, want.map((c) => `+${c}`).join(' '));
  } catch {
    for (const c of want) {
      try { writeFileSync(file, `+${c}`); } catch { missing.add(c); }
    }
  }
}

/** Creates <mountRoot>/<parent> level by level with controllers enabled down to the job dirs. */
function prepareRoot(mountRoot: string, parent: string): { root: string; enabled: Set<string>; missing: Set<string> } {
  const missing = new Set<string>();
  let dir = mountRoot;
  for (const segment of parent.split('/').filter(Boolean)) {
    enableSubtree(dir, missing);
    dir = join(dir, segment);
    mkdirSync(dir, { recursive: true });
  }
  enableSubtree(dir, missing);
  const enabled = new Set(words(join(dir, 'cgroup.subtree_control')));
  for (const c of WANTED) if (!enabled.has(c)) missing.add(c);
  return { root: dir, enabled, missing };
}

export function createV2Driver(opts: DriverOptions & { hybrid?: boolean } = {}): CgroupDriver {
  const mountRoot = opts.mountRoot ?? '/sys/fs/cgroup';
  const { root, enabled, missing } = prepareRoot(mountRoot, opts.parent ?? 'joblet');
  const killTimeoutMs = opts.killTimeoutMs ?? 10_000;
  const disk = dataDevice(opts);
  // The job-parent is a non-root cgroup, so it shows the same core files a job dir will have.
  const kill: KillMethod = hasFile(root, 'cgroup.kill') ? 'cgroup.kill' : hasFile(root, 'cgroup.freeze') ? 'cgroup.freeze' : 'signal-loop';
  const facts: CgroupFacts = {
    version: 'v2', roots: { unified: root }, controllers: [...enabled].sort(), missing: [...missing].sort(), kill,
    oomSource: enabled.has('memory') ? 'memory.events oom_kill' : 'none (no memory controller)',
    swapLimit: hasFile(root, 'memory.swap.max'), oomGroup: hasFile(root, 'memory.oom.group'),
    ioDevice: disk.note, hybrid: opts.hybrid ?? false,
  };

  function open(jobId: string, unenforced: string[] = []): JobCgroup {
    const dir = join(root, jobId);
    return {
      jobId, dirs: [dir], unenforced,
      // A removed cgroup has nothing left to kill.
      kill: async () => {
        if (!existsSync(dir)) return;
        if (kill === 'cgroup.kill') await killByCgroupKill(dir, killTimeoutMs);
        else if (kill === 'cgroup.freeze') await killByFreezeV2(dir, killTimeoutMs);
        else await killBySignalLoop([dir], killTimeoutMs);
      },
      empty: () => /^populated 0$/m.test(readCgroupFileSync(dir, 'cgroup.events') ?? ''),
      stats: () => readStatsV2(dir),
      oomKilled: () => oomKilledV2(dir),
      remove: () => removeCgroupDir(dir),
    };
  }

  async function create(jobId: string, limits: JobLimits): Promise<JobCgroup> {
    validateJobId(jobId);
    validateLimits(limits);
    const unenforced = checkEnforceable(neededControllers(limits, 'v2'), enabled, opts.missingControllers,
      `enable the controller in ${mountRoot}/cgroup.subtree_control (on a hybrid host, use the v1 driver)`);
    const devices = enabled.has('io') ? ioDevicesFor(limits, disk) : [];
    const dir = join(root, jobId);
    try {
      mkdirSync(dir);  // cgroupfs: no disk behind it, a sync mkdir is a few microseconds
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? String(err);
      throw new CgroupError('mkdir', dir, code, code === 'EEXIST' ? `a cgroup for job ${jobId} already exists: run cleanupOrphans at start` : code === 'ENOENT' ? 'the job-parent dir is gone: restart the daemon to recreate it' : undefined);
    }
    try {
      if (enabled.has('pids')) await writePidsMax(dir, limits.pidsMax);
      if (limits.cpuPercent > 0 && enabled.has('cpu')) await writeCpuMax(dir, limits.cpuPercent);
      if (limits.cpuCores !== '' && enabled.has('cpuset')) await writeCpusetCpus(dir, limits.cpuCores);
      if (limits.memoryMb > 0 && enabled.has('memory')) await writeMemoryV2(dir, limits.memoryMb, { swap: facts.swapLimit, oomGroup: facts.oomGroup });
      if (limits.ioBps > 0 && devices.length > 0) await writeIoMax(dir, devices, limits.ioBps);
    } catch (err) {
      await removeCgroupDir(dir).catch(() => undefined);
      throw err;
    }
    return open(jobId, unenforced);
  }

  return {
    version: 'v2',
    root,
    describe: () => `cgroup v2 at ${root}: controllers ${facts.controllers.join(',') || 'none'}${facts.missing.length ? `, missing ${facts.missing.join(',')}` : ''}; kill via ${kill}; oom via ${facts.oomSource}${facts.oomGroup ? ' (oom.group)' : ''}; io device ${facts.ioDevice}`,
    detectedFacts: () => structuredClone(facts),
    create,
    adopt: (jobId) => { validateJobId(jobId); return existsSync(join(root, jobId)) ? open(jobId) : undefined; },
    cleanupOrphans: (keep) => sweepOrphans(listJobIds([root]), keep, (id) => open(id)),
    supervisorsCgroup: () => (enabled.has('cpu') ? madeDir(`${root}-supervisors`) : undefined),
  };
}
