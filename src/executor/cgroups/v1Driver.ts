// The cgroup v1 driver: one hierarchy per controller (or per co-mounted group such as
// "cpu,cpuacct"), so a job has one dir in each, and the launcher joins them all.
// cpuset dirs are made only for pinned jobs: an unpinned job stays in the parent's cpuset and
// skips two writes and one cgroup.procs write on the launch path. Likewise a cpu dir only for a
// job with a CPU limit (its usage is counted in cpuacct either way), unless cpu is co-mounted
// with cpuacct: each v1 dir costs a mkdir, a join and an rmdir under the kernel's cgroup_mutex.
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CgroupError, readCgroupFileSync } from './cgroupFiles.js';
import { checkEnforceable, dataDevice, ioDevicesFor, listJobIds, madeDir, neededControllers, sweepOrphans } from './driverCommon.js';
import { killByFreezerV1, killBySignalLoop } from './killCgroup.js';
import { removeCgroupDir } from './removeCgroup.js';
import { writeBlkioThrottle, writeCfsQuota, writeCpusetV1, writeMemoryV1, writePidsMax } from './v1Limits.js';
import { oomKilledV1, oomSourceV1, readStatsV1 } from './v1Stats.js';
import { validateJobId, validateLimits } from './validateLimits.js';
import type { CgroupDriver, CgroupFacts, DriverOptions, JobCgroup, JobLimits } from './types.js';

export const V1_CONTROLLERS = ['cpu', 'cpuacct', 'cpuset', 'memory', 'blkio', 'pids', 'freezer'] as const;
type Controller = (typeof V1_CONTROLLERS)[number];

/**
 * The job-parent in a cpuset hierarchy needs cpus and mems at every level before a child can hold
 * tasks (cgroup-v1/cpusets.rst), so each new level copies them from the level above.
 */
function mkdirCpusetChain(mount: string, parent: string): void {
  let dir = mount;
  for (const segment of parent.split('/').filter(Boolean)) {
    const up = dir;
    dir = join(dir, segment);
    mkdirSync(dir, { recursive: true });
    for (const f of ['cpuset.cpus', 'cpuset.mems']) {
      const mine = existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8').trim() : '';
      if (mine === '') writeFileSync(join(dir, f), readFileSync(join(up, f), 'utf8').trim());
    }
  }
}

export function createV1Driver(opts: DriverOptions & { hybrid?: boolean } = {}): CgroupDriver {
  const mountRoot = opts.mountRoot ?? '/sys/fs/cgroup';
  const parent = opts.parent ?? 'joblet';
  const killTimeoutMs = opts.killTimeoutMs ?? 10_000;
  // controller -> its job-parent dir; co-mounted controllers share a hierarchy (realpath dedupes).
  const parents = new Map<Controller, string>();
  const missing: string[] = [];
  for (const c of V1_CONTROLLERS) {
    const mount = join(mountRoot, c);
    if (!existsSync(mount)) { missing.push(c); continue; }
    const real = realpathSync(mount);
    if (c === 'cpuset') mkdirCpusetChain(real, parent);
    else mkdirSync(join(real, parent), { recursive: true });
    parents.set(c, join(real, parent));
  }
  const have = new Set<string>(parents.keys());
  const memParent = parents.get('memory');
  const memMount = memParent ? dirname(memParent) : undefined;
  const disk = dataDevice(opts);
  const facts: CgroupFacts = {
    version: 'v1', roots: Object.fromEntries(parents), controllers: [...have].sort(), missing,
    kill: have.has('freezer') ? 'freezer' : 'signal-loop',
    oomSource: memMount ? oomSourceV1(existsSync(join(memMount, 'memory.oom_control')) ? readFileSync(join(memMount, 'memory.oom_control'), 'utf8') : undefined) : 'none (no memory controller)',
    swapLimit: memMount ? existsSync(join(memMount, 'memory.memsw.limit_in_bytes')) : false,
    oomGroup: false, ioDevice: disk.note, hybrid: opts.hybrid ?? false,
  };
  const root = memParent ?? parents.get('pids') ?? join(mountRoot, parent);

  /** The job's dir per controller; cpuset and cpu only when the job has (or may have) a limit there. */
  function dirsOf(jobId: string, withCpuset: boolean, withCpu = true): Map<Controller, string> {
    const out = new Map<Controller, string>();
    const cpuShared = parents.get('cpu') !== undefined && parents.get('cpu') === parents.get('cpuacct');
    for (const [c, p] of parents) {
      if (c === 'cpuset' && !withCpuset) continue;
      if (c === 'cpu' && !withCpu && !cpuShared) continue;
      out.set(c, join(p, jobId));
    }
    return out;
  }

  function open(jobId: string, byController: Map<Controller, string>, unenforced: string[] = []): JobCgroup {
    const dirs = [...new Set(byController.values())];
    const freezer = byController.get('freezer');
    return {
      jobId, dirs, unenforced,
      // A removed cgroup has nothing left to kill.
      kill: async () => {
        if (freezer && existsSync(freezer)) await killByFreezerV1(freezer, dirs, killTimeoutMs);
        else await killBySignalLoop(dirs.filter((d) => existsSync(d)), killTimeoutMs);
      },
      // pids.current counts the whole subtree; without the pids controller nothing does in one read
      empty: () => {
        const pids = byController.get('pids');
        return pids !== undefined && readCgroupFileSync(pids, 'pids.current')?.trim() === '0';
      },
      stats: () => readStatsV1({ cpuacct: byController.get('cpuacct'), memory: byController.get('memory'), blkio: byController.get('blkio'), pids: byController.get('pids') }),
      oomKilled: async () => { const m = byController.get('memory'); return m ? oomKilledV1(m) : false; },
      remove: async () => { for (const d of dirs) await removeCgroupDir(d); },
    };
  }

  async function create(jobId: string, limits: JobLimits): Promise<JobCgroup> {
    validateJobId(jobId);
    validateLimits(limits);
    const unenforced = checkEnforceable(neededControllers(limits, 'v1'), have, opts.missingControllers,
      `mount the v1 controller under ${mountRoot}`);
    const devices = have.has('blkio') ? ioDevicesFor(limits, disk) : [];
    const byController = dirsOf(jobId, limits.cpuCores !== '', limits.cpuPercent > 0);
    const made: string[] = [];
    try {
      // Step 1: one dir per hierarchy (co-mounted controllers share one).
      for (const dir of new Set(byController.values())) {
        try {
          mkdirSync(dir);  // cgroupfs: no disk behind it, a sync mkdir is a few microseconds
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code ?? String(err);
          throw new CgroupError('mkdir', dir, code, code === 'EEXIST' ? `a cgroup for job ${jobId} already exists: run cleanupOrphans at start` : code === 'ENOENT' ? 'the job-parent dir is gone: restart the daemon to recreate it' : undefined);
        }
        made.push(dir);
      }
      // Step 2: the limits, each into its controller's dir.
      const at = (c: Controller) => byController.get(c);
      if (at('pids')) await writePidsMax(at('pids')!, limits.pidsMax);
      if (limits.cpuPercent > 0 && at('cpu')) await writeCfsQuota(at('cpu')!, limits.cpuPercent);
      if (limits.cpuCores !== '' && at('cpuset')) await writeCpusetV1(at('cpuset')!, parents.get('cpuset')!, limits.cpuCores);
      if (limits.memoryMb > 0 && at('memory')) await writeMemoryV1(at('memory')!, limits.memoryMb, { memsw: facts.swapLimit });
      if (limits.ioBps > 0 && at('blkio') && devices.length > 0) await writeBlkioThrottle(at('blkio')!, devices, limits.ioBps);
    } catch (err) {
      for (const d of made.reverse()) await removeCgroupDir(d).catch(() => undefined);
      throw err;
    }
    return open(jobId, byController, unenforced);
  }

  return {
    version: 'v1',
    root,
    describe: () => `cgroup v1 under ${mountRoot}/*/${parent}: controllers ${facts.controllers.join(',')}${missing.length ? `, missing ${missing.join(',')}` : ''}; kill via ${facts.kill}; oom via ${facts.oomSource}; swap limit ${facts.swapLimit ? 'memsw' : 'swappiness only'}; io device ${facts.ioDevice}${facts.hybrid ? '; hybrid host (empty v2 mount ignored)' : ''}`,
    detectedFacts: () => structuredClone(facts),
    create,
    // only the dirs that exist: the cpuset one is made for pinned jobs only
    adopt: (jobId) => {
      validateJobId(jobId);
      const found = new Map([...dirsOf(jobId, true)].filter(([, d]) => existsSync(d)));
      return found.size > 0 ? open(jobId, found) : undefined;
    },
    supervisorsCgroup: () => {
      const cpu = parents.get('cpu');
      return cpu === undefined ? undefined : madeDir(`${cpu}-supervisors`);
    },
    cleanupOrphans: (keep) => sweepOrphans(listJobIds([...new Set(parents.values())]), keep,
      (id) => open(id, new Map([...dirsOf(id, true)].filter(([, d]) => existsSync(d))))),
  };
}
