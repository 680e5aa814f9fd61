// A joblet daemon in its own process, started with a generated config file (bench/logs needs more
// concurrent jobs and a bigger output cap than the defaults), and the few calls bench/logs makes.
// Like daemonClient.spawnDaemon, but with `--config`; it lives under bench/logs/ so that the bench
// runner, which runs every dist/bench/*.js, does not run it as a bench.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { parse } from 'yaml';
import { jobletProto, logsProto } from '../../src/proto.js';
import type { JobServiceClient } from '../../src/gen/joblet/JobService.js';
import type { LogServiceClient } from '../../src/gen/joblet/logs/v1/LogService.js';
import type { GetJobStatusResponse__Output as Status } from '../../src/gen/joblet/GetJobStatusResponse.js';
import type { RunJobRequest } from '../../src/gen/joblet/RunJobRequest.js';
import { DAEMON_NODE_FLAGS, procMemory, type Memory } from '../daemonClient.js';
import { FINAL_STATUSES } from '../../src/events/job.js';

const JOBLET_BIN = fileURLToPath(new URL('../../../bin/joblet.js', import.meta.url));
const START_TIMEOUT_MS = 30_000;
const CHANNEL = { 'grpc.ssl_target_name_override': 'joblet', 'grpc.use_local_subchannel_pool': 1, 'grpc.max_receive_message_length': -1 };
const FINAL = new Set<string>(FINAL_STATUSES);

export interface ConfiguredDaemon {
  pid: number;
  dataDir: string;
  /** the admin rnx config the daemon wrote */
  rnxConfig: string;
  /** a client with its own connection, as a separate rnx would have */
  client(): JobServiceClient;
  /** joblet.logs.v1 on its own connection (its chunks carry the capture time) */
  logsClient(): LogServiceClient;
  memory(): Memory;
  /** RunJob, then GetJobStatus every 10 ms until the job has ended; `tick` runs at each poll */
  runToCompletion(c: JobServiceClient, command: string, args: string[], tick?: () => void): Promise<{ jobId: string; status: Status }>;
  stop(): Promise<void>;
  remove(): void;
}

export function callJobs<Res>(c: JobServiceClient, method: 'RunJob' | 'GetJobStatus', req: unknown): Promise<Res> {
  return new Promise((resolve, reject) => {
    (c as unknown as Record<string, (r: unknown, cb: (e: grpc.ServiceError | null, res: Res) => void) => void>)[method](req, (e, res) => (e ? reject(e) : resolve(res)));
  });
}

export async function spawnConfiguredDaemon(configYaml: string, nodeFlags: string[] = []): Promise<ConfiguredDaemon> {
  const dataDir = mkdtempSync(join(tmpdir(), 'joblet-bench-logs-daemon-'));
  const configFile = join(dataDir, 'joblet-config.yml');
  writeFileSync(configFile, configYaml);
  // With the node flags `npm start` uses (--optimize-for-size), as bench/launch does: V8's heap
  // sizing sets much of the RSS measured here, so the bench runs the daemon as users do.
  const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, ...nodeFlags, JOBLET_BIN, '--config', configFile, '--data-dir', dataDir, '--listen', '127.0.0.1:0'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`joblet daemon did not log "serving" within ${START_TIMEOUT_MS} ms: ${output.slice(-2000)}`)), START_TIMEOUT_MS);
    child.stdout!.on('data', (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
      const m = /"address":"([^"]+)"[^\n]*"msg":"serving"/.exec(output);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.stderr!.on('data', (chunk: Buffer) => { output = (output + chunk.toString()).slice(-20_000); });
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`joblet daemon exited ${code} before serving: ${output.slice(-2000)}`)); });
  });
  const rnxConfig = join(dataDir, 'config', 'rnx-config.yml');
  const node = (parse(readFileSync(rnxConfig, 'utf8')) as { nodes: Record<string, { cert: string; key: string; ca: string }> }).nodes.default;
  const clients: grpc.Client[] = [];
  const creds = () => grpc.credentials.createSsl(Buffer.from(node.ca), Buffer.from(node.key), Buffer.from(node.cert));
  return {
    pid: child.pid!,
    dataDir,
    rnxConfig,
    client() {
      const c = new (jobletProto().joblet.JobService)(address, creds(), CHANNEL);
      clients.push(c);
      return c;
    },
    logsClient() {
      const c = new (logsProto().joblet.logs.v1.LogService)(address, creds(), CHANNEL);
      clients.push(c);
      return c;
    },
    memory: () => procMemory(child.pid!),
    async runToCompletion(c, command, args, tick) {
      const { job_uuid: jobId } = await callJobs<{ job_uuid: string }>(c, 'RunJob', { command, args } satisfies RunJobRequest);
      for (;;) {
        tick?.();
        const status = await callJobs<Status>(c, 'GetJobStatus', { uuid: jobId });
        if (FINAL.has(status.status)) return { jobId, status };
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async stop() {
      for (const c of clients) c.close();
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const code = await exited;
      clearTimeout(timer);
      if (code !== 0) throw new Error(`joblet daemon exited ${code} after SIGTERM (wanted 0): ${output.slice(-2000)}`);
    },
    remove: () => rmSync(dataDir, { recursive: true, force: true }),
  };
}
