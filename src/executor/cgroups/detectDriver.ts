// Picks the cgroup driver for this host, once, at daemon start. Three layouts exist:
//  - pure v2 (most current distros): /sys/fs/cgroup is the cgroup2 mount, with cgroup.controllers;
//  - hybrid (systemd's legacy-plus-unified, this VM): v1 controllers in /sys/fs/cgroup/<ctrl> and a
//    cgroup2 mount at /sys/fs/cgroup/unified that holds no controllers, because a controller can be
//    bound to one hierarchy only (cgroup-v2.rst "Mounting": a controller in use by v1 is not
//    available on v2) - so limits must go through v1;
//  - pure v1 (old hosts): the controllers alone.
// Detection also prepares the job-parent dirs, so its facts (kill method, swap limit) are real.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createV1Driver, V1_CONTROLLERS } from './v1Driver.js';
import { createV2Driver } from './v2Driver.js';
import type { CgroupDriver, DriverOptions } from './types.js';

export function detectCgroupDriver(opts: DriverOptions = {}): CgroupDriver {
  const mountRoot = opts.mountRoot ?? '/sys/fs/cgroup';
  if (existsSync(join(mountRoot, 'cgroup.controllers'))) return createV2Driver({ ...opts, mountRoot });
  const unified = join(mountRoot, 'unified');
  const hasUnified = existsSync(join(unified, 'cgroup.controllers'));
  const v1 = V1_CONTROLLERS.filter((c) => existsSync(join(mountRoot, c, 'cgroup.procs')));
  if (v1.length > 0) return createV1Driver({ ...opts, mountRoot, hybrid: hasUnified });
  if (hasUnified) return createV2Driver({ ...opts, mountRoot: unified, hybrid: true });
  throw new Error(`detect cgroups ${mountRoot}: no cgroup v2 mount and no v1 controllers (mount one: mount -t cgroup2 none ${mountRoot})`);
}
