// The `redis` backend (ioredis): one hash per job, written by a Lua script that compares versions
// inside Redis, so the check and the write are one atomic step (EVALSHA runs scripts atomically,
// see https://redis.io/docs/interact/programmability/eval-intro/).
//
// Keys, with P = state.redis.keyPrefix and N = node id:
//   P{N}:job:<uuid>  hash { epoch, pos, rec }   rec = the JobRecord as JSON
//   P{N}:jobs        set of the node's job uuids
//   Pnodes           set of node ids
// The {N} hash tag puts a node's keys in one cluster slot, so the script may touch both of its
// keys in Redis Cluster too.
import { Redis, Cluster, type RedisOptions } from 'ioredis';
import { visible, type StateBackend, type StateSettings } from './backend.js';
import type { JobRecord } from './record.js';

const PUT = `
local cur = redis.call('HMGET', KEYS[1], 'epoch', 'pos')
local e, p = tonumber(ARGV[1]), tonumber(ARGV[2])
if cur[1] then
  local ce, cp = tonumber(cur[1]), tonumber(cur[2])
  if ce > e or (ce == e and cp >= p) then return 0 end
end
redis.call('HSET', KEYS[1], 'epoch', ARGV[1], 'pos', ARGV[2], 'rec', ARGV[3])
redis.call('SADD', KEYS[2], ARGV[4])
return 1`;

type Client = (Redis | Cluster) & { putRecord(job: string, set: string, epoch: number, pos: number, rec: string, uuid: string): Promise<number> };

// Fail fast instead of queueing while disconnected: the replicator owns retries (with backoff and
// a checkpoint), and a queue inside ioredis would hide an outage from the lag report.
const FAIL_FAST: RedisOptions = { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 5000, retryStrategy: (n) => Math.min(100 * 2 ** n, 2000) };
const LIST_CHUNK = 500;

export class RedisBackend implements StateBackend {
  readonly name = 'redis';
  private readonly client: Client;
  private readonly prefix: string;
  lastError: string | undefined;

  constructor(settings: StateSettings['redis']) {
    this.prefix = settings.keyPrefix;
    const options = { ...FAIL_FAST, ...(settings.options as RedisOptions) };
    this.client = (settings.cluster.length > 0
      ? new Cluster(settings.cluster.map((hp) => { const [host, port] = hp.split(':'); return { host, port: Number(port) }; }),
        { redisOptions: options, enableOfflineQueue: false })
      : new Redis(settings.url, options)) as Client;
    this.client.on('error', (err: Error) => { this.lastError = err.message; });
    this.client.defineCommand('putRecord', { numberOfKeys: 2, lua: PUT });
  }

  private jobKey(nodeId: string, uuid: string): string { return `${this.prefix}{${nodeId}}:job:${uuid}`; }
  private setKey(nodeId: string): string { return `${this.prefix}{${nodeId}}:jobs`; }

  async write(records: JobRecord[]): Promise<void> {
    await this.ready();
    const nodes = [...new Set(records.map((r) => r.nodeId))];
    // Commands are written to the socket back to back and answered in order (pipelining), so a
    // batch costs about one round trip whichever way the replies are awaited.
    await Promise.all([
      ...nodes.map((n) => this.client.sadd(`${this.prefix}nodes`, n)),
      ...records.map((r) => this.client.putRecord(this.jobKey(r.nodeId, r.uuid), this.setKey(r.nodeId), r.logEpoch, r.position, JSON.stringify(r), r.uuid)),
    ]);
  }

  async list(nodeId?: string): Promise<JobRecord[]> {
    await this.ready();
    const nodes = nodeId !== undefined ? [nodeId] : await this.client.smembers(`${this.prefix}nodes`);
    const out: JobRecord[] = [];
    for (const node of nodes) {
      const uuids = await this.client.smembers(this.setKey(node));
      for (let i = 0; i < uuids.length; i += LIST_CHUNK) {
        const texts = await Promise.all(uuids.slice(i, i + LIST_CHUNK).map((u) => this.client.hget(this.jobKey(node, u), 'rec')));
        for (const t of texts) if (t) out.push(JSON.parse(t) as JobRecord);
      }
    }
    return visible(out, nodeId);
  }

  /** Waits briefly for the connection; a backend that is down fails the call so the caller backs off. */
  private async ready(timeoutMs = 2000): Promise<void> {
    if (this.client.status === 'ready') return;
    await new Promise<void>((resolve, reject) => {
      const done = (err?: Error) => { clearTimeout(timer); this.client.off('ready', onReady); err ? reject(err) : resolve(); };
      const onReady = () => done();
      const timer = setTimeout(() => done(new Error(`redis ${this.describe()}: not connected (${this.lastError ?? this.client.status})`)), timeoutMs);
      this.client.once('ready', onReady);
    });
  }

  private describe(): string {
    return this.client instanceof Cluster ? 'cluster' : `${(this.client as Redis).options.host}:${(this.client as Redis).options.port}`;
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }
}
