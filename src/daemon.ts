// The composition root: this file is the map of the daemon. Start-up is a numbered list of steps;
// each one registers its undo so that close() (and a failed start) unwinds in reverse order.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as os from 'node:os';
import pino, { type Logger } from 'pino';
import type { Config } from './config/index.js';
import { ensureNodeId, parseDurationMs } from './config/index.js';
import { ensureCertificates } from './certs/index.js';
import type { JobEvent } from './events/jobEvents.js';
import { EventStore } from './persist/eventStore.js';
import { JobTable, type JobTableSnapshot } from './projections/jobTable.js';
import { createNativeExecutor } from './executor/nativeExecutor.js';
import { CommandHandler } from './daemon/commands.js';
import { JobFiles } from './daemon/jobFiles.js';
import { JobRunner } from './daemon/jobRunner.js';
import { Snapshotter, JOBS_SNAPSHOT } from './daemon/snapshotter.js';
import { startApiServer } from './api/server.js';
import { lockDataDir } from './daemon/dataDirLock.js';

export interface Daemon {
  /** host:port the API listens on. */
  address: string;
  nodeId: string;
  dataDir: string;
  log: Logger;
  /** Position of the last durable event (tests use it to prove a refused request wrote nothing). */
  logPosition(): number;
  close(): Promise<void>;
}

export async function startDaemon(config: Config & { ignoredKeys: readonly string[] }, log: Logger = pino({ level: config.logging.level })): Promise<Daemon> {
  const undo: (() => Promise<void> | void)[] = [];
  const close = async () => { for (const u of undo.reverse()) await u(); undo.length = 0; };
  const started = Date.now();
  try {
    // 1. Data dir and node identity.
    const dataDir = config.storage.dataDir;
    mkdirSync(dataDir, { recursive: true, mode: 0o755 });
    undo.push(lockDataDir(dataDir));
    const nodeId = config.server.nodeId || ensureNodeId(dataDir);
    if (config.ignoredKeys.length > 0) log.warn({ keys: config.ignoredKeys }, 'config keys Joblet has but joblet ignores');

    // 2. The event log, then the job table: snapshot + replay of the tail.
    const store = EventStore.open<JobEvent>({ path: join(dataDir, 'events') });
    undo.push(() => store.close());
    const snap = store.loadSnapshot<JobTableSnapshot>(JOBS_SNAPSHOT);
    const table = snap ? JobTable.fromSnapshot(snap.state) : new JobTable();
    let replayed = 0;
    for (const { position, event } of store.read(table.position + 1)) { table.apply(position, event); replayed++; }

    // 3. Commands, snapshots, job files, the executor and the reactions that drive it.
    const commands = new CommandHandler(store, table);
    const snapshotter = new Snapshotter(store, table, config.storage.snapshotEvery, log);
    commands.onEvent(() => snapshotter.tick());
    undo.push(() => snapshotter.saveNow());
    const files = new JobFiles(join(dataDir, 'jobs'));
    for (const id of files.listed()) if (!table.get(id)) files.remove(id);  // a crash between upload and submit
    const executor = createNativeExecutor();
    undo.push(() => executor.close());
    const runner = new JobRunner(commands, executor, files, {
      maxConcurrentJobs: config.joblet.maxConcurrentJobs,
      stopGraceMs: config.joblet.stopGracePeriodMs,
      hostname: (jobId) => `job-${jobId.slice(0, 8)}`,
    }, log);
    undo.push(() => runner.close());
    await runner.resume(table.list());

    // 4. Certificates (created on first start), then the API over mTLS.
    const certs = await ensureCertificates({
      certsDir: config.security.certsDir,
      configDir: join(dataDir, 'config'),
      address: `${config.server.address}:${config.server.port}`,
      serverNames: config.security.serverNames,
      nodeId,
    });
    const server = await startApiServer({
      host: config.server.address,
      port: config.server.port,
      tls: { ca: certs.caFile, cert: certs.serverFile, key: certs.serverKeyFile },
      log,
    }, {
      commands, store, files, nodeId,
      stopGraceMs: config.joblet.stopGracePeriodMs,
      runContext: () => ({
        now: Date.now(),
        cpuCount: os.cpus().length,
        hostMemoryMb: Math.floor(os.totalmem() / 1024 / 1024),
        maxUploadBytes: config.joblet.maxUploadBytes,
        defaultTimeoutMs: config.joblet.jobTimeoutMs,
        maxCpuPercent: config.joblet.maxCpuPercent,
        parseDuration: (text) => { try { return parseDurationMs(text, 'timeout'); } catch { return undefined; } },
      }),
      facts: () => ({ 'joblet.startupMs': String(startupMs), 'joblet.replayedEvents': String(replayed) }),
    });
    undo.push(() => server.close());
    // 5. Client configs carry the address actually bound (port 0 in tests).
    if (server.port !== config.server.port) await certs.writeClientConfigs(`${config.server.address}:${server.port}`);

    const startupMs = Date.now() - started;
    log.info({ address: server.address, nodeId, dataDir, replayed, startupMs, clientConfig: join(dataDir, 'config', 'rnx-config.yml') }, 'serving');
    return { address: server.address, nodeId, dataDir, log, logPosition: () => store.lastPosition, close };
  } catch (err) {
    await close();
    throw err;
  }
}
