// joblet.MonitoringService: host facts from node:os. Enough for `rnx --version` and a health
// check today; the full metrics stream comes with the metrics work.
import * as os from 'node:os';
import type { MonitoringServiceHandlers } from '../gen/joblet/MonitoringService.js';
import type { SystemStatusResponse } from '../gen/joblet/SystemStatusResponse.js';
import { VERSION } from '../version.js';
import type { Middleware } from './middleware.js';

const SERVICE = 'joblet.MonitoringService';

export interface MonitoringDeps {
  nodeId: string;
  /** Extra facts the daemon reports about itself (cgroup driver, recovery time...). */
  facts: () => Record<string, string>;
}

export function monitoringHandlers(m: Middleware, d: MonitoringDeps): Partial<MonitoringServiceHandlers> {
  return {
    GetSystemStatus: m.unary(SERVICE, 'GetSystemStatus', async () => systemStatus(d)),
  };
}

function systemStatus(d: MonitoringDeps): SystemStatusResponse {
  const total = os.totalmem();
  const free = os.freemem();
  return {
    timestamp: new Date().toISOString(),
    available: true,
    host: {
      hostname: os.hostname(),
      os: `${os.type()} ${os.release()}`,
      kernel_version: os.release(),
      architecture: os.arch(),
      boot_time: new Date(Date.now() - os.uptime() * 1000).toISOString(),
      uptime: String(Math.round(os.uptime())),
      node_id: d.nodeId,
      server_ips: Object.values(os.networkInterfaces()).flat().filter((i) => i && !i.internal).map((i) => i!.address),
      mac_addresses: [],
    },
    cpu: { cores: os.cpus().length, load_average: os.loadavg() },
    memory: {
      total_bytes: String(total),
      free_bytes: String(free),
      available_bytes: String(free),
      used_bytes: String(total - free),
      usage_percent: total > 0 ? ((total - free) / total) * 100 : 0,
    },
    cloud: { metadata: d.facts() },
    server_version: {
      version: VERSION,
      component: 'joblet',
      platform: `${process.platform}/${process.arch}`,
      go_version: `node ${process.version}`,
    },
  };
}
