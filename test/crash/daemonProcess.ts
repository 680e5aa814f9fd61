// The real `joblet` binary as a child process, for tests that kill it (SIGKILL) and start it
// again on the same data dir, and the mTLS client it writes the config for.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { parse } from 'yaml';
import { jobletProto } from '../../src/proto.js';
import type { JobServiceClient } from '../../src/gen/joblet/JobService.js';
import { CHANNEL_OPTIONS } from '../support/testDaemon.js';

export const JOBLET_BIN = join(process.cwd(), 'bin', 'joblet.js');

export interface DaemonProcess {
  child: ChildProcess;
  address: string;
  jobs: JobServiceClient;
  /** what it printed so far (pino JSON lines and any error) */
  output(): string;
  kill(): Promise<void>;
  /** SIGTERM: a clean stop; resolves with the exit code */
  stop(): Promise<number | null>;
}

/** Starts the daemon and resolves once it serves, or rejects with what it printed. */
export function startDaemonProcess(dataDir: string, configFile?: string, timeoutMs = 30_000): Promise<DaemonProcess> {
  const args = [JOBLET_BIN, '--data-dir', dataDir, '--listen', '127.0.0.1:0', ...(configFile ? ['--config', configFile] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`joblet not serving after ${timeoutMs} ms:\n${out}`)); }, timeoutMs);
    const onData = (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.includes('"msg":"serving"'));
      if (!line) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.stdout!.on('data', (x: Buffer) => { out += x.toString(); });
      const address = (JSON.parse(line) as { address: string }).address;
      const jobs = new (jobletProto().joblet.JobService)(address, adminCredentials(dataDir), CHANNEL_OPTIONS);
      resolve({
        child, address, jobs,
        output: () => out,
        kill: async () => { jobs.close(); child.kill('SIGKILL'); await exited; },
        stop: async () => { jobs.close(); child.kill('SIGTERM'); return exited; },
      });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => { out += d.toString(); });
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`joblet exited with ${code} before serving:\n${out}`)); });
  });
}

/** Runs the daemon expecting it to refuse to start; resolves with its exit code and output. */
export function refusedStart(dataDir: string, timeoutMs = 30_000): Promise<{ code: number | null; out: string }> {
  const child = spawn(process.execPath, [JOBLET_BIN, '--data-dir', dataDir, '--listen', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => { out += d.toString(); if (out.includes('"msg":"serving"')) child.kill('SIGKILL'); });
  child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) => child.once('close', (code) => { clearTimeout(timer); resolve({ code, out }); }));
}

function adminCredentials(dataDir: string): grpc.ChannelCredentials {
  const node = (parse(readFileSync(join(dataDir, 'config', 'rnx-config.yml'), 'utf8')) as { nodes: Record<string, { cert: string; key: string; ca: string }> }).nodes.default;
  return grpc.credentials.createSsl(Buffer.from(node.ca), Buffer.from(node.key), Buffer.from(node.cert));
}
