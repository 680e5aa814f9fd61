// SIGKILL of the daemon itself (the real `joblet` binary) while a job prints: its persist child
// exits with it, the next daemon's child takes over the files from the checkpoint, and once the
// job has ended its log holds every line once and in order. Two kills at different points.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { parse } from 'yaml';
import { startDaemonProcess, type DaemonProcess } from '../../crash/daemonProcess.js';
import { call, CHANNEL_OPTIONS } from '../../support/testDaemon.js';
import { jobletProto } from '../../../src/proto.js';
import { numbered, readJobFiles, FINAL } from './persistFixture.js';

const LINES = 40_000;
const SCRIPT = `i=0; while [ $i -lt ${LINES} ]; do i=$((i+1)); echo row$i; if [ $((i % 1000)) -eq 0 ]; then sleep 0.08; fi; done`;

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function facts(dp: DaemonProcess, dataDir: string): Promise<Record<string, string>> {
  const node = (parse(readFileSync(join(dataDir, 'config', 'rnx-config.yml'), 'utf8')) as { nodes: Record<string, { cert: string; key: string; ca: string }> }).nodes.default;
  const creds = grpc.credentials.createSsl(Buffer.from(node.ca), Buffer.from(node.key), Buffer.from(node.cert));
  const c = new (jobletProto().joblet.MonitoringService)(dp.address, creds, CHANNEL_OPTIONS);
  try {
    return (await call<{ cloud: { metadata: Record<string, string> } }>(c, 'GetSystemStatus', {})).cloud.metadata;
  } finally {
    c.close();
  }
}

test('daemon killed twice mid-output: the files end up with every line once', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'joblet-persistdkill-'));
  let dp: DaemonProcess | undefined;
  try {
    dp = await startDaemonProcess(dataDir);
    const { job_uuid: id } = await call<{ job_uuid: string }>(dp.jobs, 'RunJob', { command: 'sh', args: ['-c', SCRIPT] });
    const dir = join(dataDir, 'logs', id);
    const raw = join(dir, 'output.log');
    for (const atLeast of [30_000, 150_000]) {
      await until(`${raw} past ${atLeast} bytes`, () => existsSync(raw) && statSync(raw).size > atLeast);
      await dp.kill();
      dp = await startDaemonProcess(dataDir);
    }
    const jobs = dp.jobs;
    await until('the job to end', async () => FINAL.includes((await call<{ status: string }>(jobs, 'GetJobStatus', { uuid: id })).status), 60_000);
    assert.is((await call<{ status: string }>(jobs, 'GetJobStatus', { uuid: id })).status, 'COMPLETED');
    const d = dp;
    await until('the persist checkpoint to reach the log\'s end', async () => existsSync(join(dir, 'done.json')) && (await facts(d, dataDir))['persist.lagEvents'] === '0');
    const f = readJobFiles(dir);
    assert.ok(f.compressed);
    assert.is(f.stdout, numbered('row', LINES));
    const positions = f.records.map((r) => r.position);
    assert.is(new Set(positions).size, positions.length, 'no record twice');
  } finally {
    await dp?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test.run();
