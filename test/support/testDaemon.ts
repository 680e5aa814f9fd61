// A real daemon for tests: a temp data dir, an ephemeral port on loopback, real certificates and
// real mTLS clients built from the rnx configs the daemon writes.
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { parse } from 'yaml';
import pino from 'pino';
import { loadConfig } from '../../src/config/index.js';
import { startDaemon, type Daemon } from '../../src/daemon.js';
import { jobletProto } from '../../src/proto.js';
import type { JobServiceClient } from '../../src/gen/joblet/JobService.js';
import { FINAL_STATUSES } from '../../src/events/job.js';

/** The statuses a job ends in (GetJobStatus strings), from the domain's own list. */
export const FINAL: readonly string[] = FINAL_STATUSES;

export type TestRole = 'admin' | 'maintainer' | 'developer' | 'reader';

export interface TestDaemon {
  daemon: Daemon;
  dataDir: string;
  address: string;
  configFile(role: TestRole): string;
  credentials(role: TestRole): grpc.ChannelCredentials;
  jobs(role?: TestRole): JobServiceClient;
  close(opts?: { keepDataDir?: boolean }): Promise<void>;
}

export const CHANNEL_OPTIONS = { 'grpc.ssl_target_name_override': 'joblet' };

export async function startTestDaemon(opts: { dataDir?: string; configYaml?: string } = {}): Promise<TestDaemon> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'joblet-test-'));
  let configPath: string | undefined;
  if (opts.configYaml) {
    configPath = join(dataDir, 'joblet-config.yml');
    writeFileSync(configPath, opts.configYaml);
  }
  const config = loadConfig({ configPath, overrides: { dataDir, listen: '127.0.0.1:0' }, searchPaths: [] });
  const daemon = await startDaemon(config, pino({ level: process.env.TEST_LOG_LEVEL ?? 'warn' }));
  const configFile = (role: TestRole) => join(dataDir, 'config', role === 'admin' ? 'rnx-config.yml' : `rnx-config-${role}.yml`);
  const credentials = (role: TestRole) => {
    const node = (parse(readFileSync(configFile(role), 'utf8')) as { nodes: Record<string, { cert: string; key: string; ca: string }> }).nodes.default;
    return grpc.credentials.createSsl(Buffer.from(node.ca), Buffer.from(node.key), Buffer.from(node.cert));
  };
  const clients: grpc.Client[] = [];
  return {
    daemon,
    dataDir,
    address: daemon.address,
    configFile,
    credentials,
    jobs(role: TestRole = 'admin') {
      const c = new (jobletProto().joblet.JobService)(daemon.address, credentials(role), CHANNEL_OPTIONS);
      clients.push(c);
      return c;
    },
    async close({ keepDataDir = false } = {}) {
      for (const c of clients) c.close();
      // A test that brought its own data dir may restart on it and expect its jobs alive;
      // otherwise nothing of the test may outlive it.
      await daemon.close({ stopJobs: !opts.dataDir });
      if (!keepDataDir && !opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Promisifies one unary call of a grpc-js client. */
export function call<Res>(client: grpc.Client, method: string, req: unknown): Promise<Res> {
  return new Promise((resolve, reject) => {
    (client as unknown as Record<string, (r: unknown, cb: (e: grpc.ServiceError | null, res: Res) => void) => void>)[method](req, (e, res) => (e ? reject(e) : resolve(res)));
  });
}

/** Collects a server stream; resolves with the messages, rejects with the status error. */
export function collect<Res>(client: grpc.Client, method: string, req: unknown): Promise<Res[]> {
  return new Promise((resolve, reject) => {
    const out: Res[] = [];
    const stream = (client as unknown as Record<string, (r: unknown) => grpc.ClientReadableStream<Res>>)[method](req);
    stream.on('data', (m: Res) => out.push(m));
    stream.on('error', reject);
    stream.on('end', () => resolve(out));
  });
}

/** GetSystemStatus over mTLS as admin: the daemon's facts (cloud.metadata: state.*, persist.*, ...). */
export async function systemFacts(d: TestDaemon): Promise<Record<string, string>> {
  const c = new (jobletProto().joblet.MonitoringService)(d.address, d.credentials('admin'), CHANNEL_OPTIONS);
  try {
    const s = await call<{ cloud: { metadata: Record<string, string> } }>(c, 'GetSystemStatus', {});
    return s.cloud.metadata;
  } finally {
    c.close();
  }
}
