// Network byte counters of a job's own network namespace, read from /proc/<pid>/net/dev of any
// process in it (the file shows the namespace of the process it belongs to). Loopback is left out:
// traffic a job sends to itself never leaves it, so it is not what "network bytes" should count
// (docs/decisions: metrics sampling). A job in the host's namespace has no counters of its own.
import { readFile, readlink } from 'node:fs/promises';
import { readProcs } from './cgroups/cgroupFiles.js';

export interface NetCounters { recvBytes: number; sentBytes: number }

/**
 * Sums the receive and transmit byte columns of every interface but `lo`. Lines look like
 * `  eth0: 1234 5 0 0 0 0 0 0  5678 9 0 0 0 0 0 0` (receive: 8 columns, then transmit).
 */
export function parseNetDev(text: string): NetCounters {
  let recvBytes = 0, sentBytes = 0;
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    if (name === '' || name === 'lo' || name.includes('|')) continue;
    const cols = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (cols.length < 9) continue;
    recvBytes += Number.isFinite(cols[0]) ? cols[0] : 0;
    sentBytes += Number.isFinite(cols[8]) ? cols[8] : 0;
  }
  return { recvBytes, sentBytes };
}

/**
 * Finds a process of the job (cgroup.procs of its first dir) and reads its namespace's counters;
 * remembers that pid while it lives, so most samples cost one read. undefined: the job shares the
 * host's namespace, or it has no process left (the caller keeps the last counters then).
 */
export class NetReader {
  private pid: number | undefined;
  // Only "own" is remembered: a process seen in the host's namespace may be one caught between
  // joining the cgroup and unsharing (the launcher does both before exec), so that is checked again.
  private ownNamespace = false;

  constructor(private readonly cgroupDir: string, private readonly procRoot = '/proc') {}

  async read(): Promise<NetCounters | undefined> {
    if (this.pid !== undefined && this.ownNamespace) {
      const text = await readFile(`${this.procRoot}/${this.pid}/net/dev`, 'utf8').catch(() => undefined);
      if (text !== undefined) return parseNetDev(text);
    }
    this.pid = (await readProcs(this.cgroupDir).catch(() => []))[0];
    if (this.pid === undefined) return undefined;
    if (!this.ownNamespace) {
      const [theirs, ours] = await Promise.all([readlink(`${this.procRoot}/${this.pid}/ns/net`), readlink(`${this.procRoot}/self/ns/net`)].map((p) => p.catch(() => undefined)));
      if (theirs === undefined || ours === undefined || theirs === ours) return undefined;
      this.ownNamespace = true;
    }
    const text = await readFile(`${this.procRoot}/${this.pid}/net/dev`, 'utf8').catch(() => undefined);
    return text === undefined ? undefined : parseNetDev(text);
  }
}
