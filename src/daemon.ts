// The composition root: this file is the map of the daemon. Start-up is a numbered list of steps;
// each one registers its undo so that close() (and a failed start) unwinds in reverse order.
import { mkdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import * as os from 'node:os';
import pino, { type Logger } from 'pino';
import type { Config } from './config/index.js';
import { ensureNodeId, parseDurationMs } from './config/index.js';
import { ensureCertificates } from './certs/index.js';
import type { JobEvent } from './events/jobEvents.js';
import { upcastJobEvent } from './events/upcasters.js';
import { EventStore, type StoredEvent } from './persist/eventStore.js';
import { JobTable, type JobTableSnapshot } from './projections/jobTable.js';
import { addCaptureGate, setOutputAllocator, checkStateDir, createNativeExecutor, detectCgroupDriver, DEFAULT_SYSTEM_DIRS, removeSupervisorsCgroup, SPOOL_START } from './executor/index.js';
import { isFinal } from './events/job.js';
import { CommandHandler } from './daemon/commands.js';
import { JobFiles, tmpfsStateRoot } from './daemon/jobFiles.js';
import { JobRunner } from './daemon/jobRunner.js';
import { Snapshotter, JOBS_SNAPSHOT } from './daemon/snapshotter.js';
import { startApiServer } from './api/server.js';
import { lockDataDir } from './daemon/dataDirLock.js';
import { StateService, syncJobsOnStart } from './state/index.js';
import { PersistService } from './persist/persistService.js';
import { outputBuffer } from './persist/codec.js';
import { OutputCompactor } from './daemon/outputCompactor.js';

export interface Daemon {
  /** host:port the API listens on. */
  address: string;
  nodeId: string;
  dataDir: string;
  log: Logger;
  /** Position of the last durable event. */
  logPosition(): number;
  /** Durable events from `from` on (tests use it to see exactly what a request wrote). */
  readLog(from?: number): StoredEvent<JobEvent>[];
  /** The State service: replication status, its child's pid, the backend's records. */
  state: StateService;
  /** The persist service: log and metric files under DATA_DIR/logs, history queries, its child's pid. */
  persist: PersistService;
  /** Stops serving. Jobs keep running (an upgrade re-attaches them) unless stopJobs is set. */
  close(opts?: { stopJobs?: boolean }): Promise<void>;
}

/** Where the job's recorded output ends in its spool: the last spoolEnd the log holds for it. */
function lastSpoolEnd(store: EventStore<JobEvent>, jobId: string): number {
  let end = SPOOL_START;
  for (const { event } of store.readJob(jobId)) if (event.type === 'JobOutputWritten' && event.spoolEnd !== undefined) end = event.spoolEnd;
  return end;
}

export async function startDaemon(config: Config & { ignoredKeys: readonly string[] }, log: Logger = pino({ level: config.logging.level })): Promise<Daemon> {
  const undo: (() => Promise<void> | void)[] = [];
  let stopJobs = false;
  const close = async (opts?: { stopJobs?: boolean }) => { stopJobs = opts?.stopJobs ?? false; for (const u of undo.reverse()) await u(); undo.length = 0; };
  const started = Date.now();
  try {
    // 1. Data dir and node identity.
    const dataDir = config.storage.dataDir;
    mkdirSync(dataDir, { recursive: true, mode: 0o755 });
    undo.push(lockDataDir(dataDir));
    const nodeId = config.server.nodeId || ensureNodeId(dataDir);
    if (config.ignoredKeys.length > 0) log.warn({ keys: config.ignoredKeys }, 'config keys Joblet has but joblet ignores');

    // 2. The event log, then the job table: snapshot + replay of the tail.
    const store = EventStore.open<JobEvent>({ path: join(dataDir, 'events'), upcast: upcastJobEvent });
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
    // supervisors' small files on a tmpfs when the host has one (/dev/shm): no disk inode per launch
    const files = new JobFiles(join(dataDir, 'jobs'), join(dataDir, 'run'), tmpfsStateRoot(nodeId));
    undo.push(() => files.close());
    for (const id of files.listed()) if (!table.get(id)) files.remove(id);  // a crash between upload and submit
    // Jobs that were launching or running: where the log says their output stops, and a check of
    // their supervisors' files before anything acts on them, so a corrupt one stops the start here
    // (docs/decisions/0011), before any cgroup is swept or child started.
    const spoolOffsets = new Map<string, number>();
    for (const job of table.list()) {
      if (job.status !== 'INITIALIZING' && job.status !== 'RUNNING') continue;
      const spoolOffset = lastSpoolEnd(store, job.id);
      spoolOffsets.set(job.id, spoolOffset);
      checkStateDir({ jobId: job.id, ...files.statePaths(job.id), spoolOffset, started: job.status === 'RUNNING' });
    }
    // The cgroup driver (v1 or v2, detected) limits and accounts every job; leftovers of jobs the
    // log no longer calls active (a crash) are killed and removed. Each node has its own
    // job-parent (joblet/<nodeId>), so daemons sharing a host (tests, several data dirs) never
    // see, kill or clean up each other's jobs.
    const cgroups = detectCgroupDriver({ dataDir, parent: `joblet/${nodeId}` });
    const supervisorsCgroup = cgroups.supervisorsCgroup();
    undo.push(async () => {
      removeEmptyDirs(Object.values(cgroups.detectedFacts().roots));
      if (supervisorsCgroup) await removeSupervisorsCgroup(supervisorsCgroup);
    });
    log.info({ cgroups: cgroups.describe() }, 'cgroup driver');
    await cgroups.cleanupOrphans((id) => { const j = table.get(id); return !!j && !isFinal(j); });
    const executor = createNativeExecutor({ cgroups, metricsIntervalMs: config.joblet.metricsIntervalMs });
    undo.push(() => executor.close({ stopJobs }));
    const iso = config.isolation;
    const runner = new JobRunner(commands, executor, files, {
      maxConcurrentJobs: config.joblet.maxConcurrentJobs,
      stopGraceMs: config.joblet.stopGracePeriodMs,
      hostname: (jobId) => `job-${jobId.slice(0, 8)}`,
      isolation: {
        systemDirs: iso.systemDirs.length > 0 ? [...iso.systemDirs] : [...DEFAULT_SYSTEM_DIRS],
        workSizeBytes: iso.workSizeBytes,
        tmpSizeBytes: iso.tmpSizeBytes,
        uid: iso.uid,
        gid: iso.gid,
        seccomp: iso.seccomp,
      },
      pidsMax: iso.pidsMax,
      maxOutputBytes: config.joblet.maxOutputBytes,
      outputBatchMs: config.joblet.outputBatchMs,
    }, log);
    undo.push(() => runner.close());
    // 3b. The State service (a supervised child) replicates job records to the backend; before the
    // runner resumes, jobs the backend has for this node and the log lacks are imported.
    const state = StateService.start({ store, settings: config.state, dataDir, log });
    undo.push(() => state.close());
    // 3c. The persist service (a supervised child) writes each job's output and metrics to files
    // under DATA_DIR/logs and answers history queries from them (docs/decisions/0014).
    const persist = PersistService.start({ store, settings: config.persist, dataDir, log, onEvent: (l) => commands.onEvent(l) });
    undo.push(() => persist.close());
    // Capture reads ahead only as far as the persist child keeps up (docs/decisions/0023).
    undo.push(addCaptureGate((bytes, inFlight) => persist.captureGate(bytes, inFlight)));
    // captured output is copied into buffers the log's codec encodes its events around in place
    undo.push(setOutputAllocator(outputBuffer));
    // 3d. Output the persist service holds durably is compacted out of the log in the background,
    // so the log stays bounded (docs/decisions/0013); storage.compactInterval 0 turns it off.
    const compactor = config.storage.compactIntervalMs > 0 ? new OutputCompactor({
      log: store, bound: () => persist.durablePosition(), logger: log,
      intervalMs: config.storage.compactIntervalMs, everyBytes: config.storage.compactEveryBytes,
    }).start() : undefined;
    if (compactor) {
      commands.onEvent((e) => compactor.noteEvent(e));
      undo.push(() => compactor.close());
    }
    const imported = await syncJobsOnStart({
      list: (id, ms) => state.list(id, ms), store, table, append: (events) => commands.append(events),
      prepare: (id) => files.prepare(id, [], {}), nodeId, settings: config.state, log,
    });
    // Jobs that were launching or running are re-attached through their supervisors, reading
    // their output from where the log says it stopped.
    const resumed = await runner.resume(table.list(), (id) => spoolOffsets.get(id) ?? lastSpoolEnd(store, id));
    if (resumed.attached + resumed.relaunched > 0) log.info(resumed, 're-attached to the jobs that were running');

    // 4. Certificates (created on first start), then the API over mTLS. Host facts that RunJob
    // validation needs are read once: os.cpus() costs ~0.3 ms per call.
    const cpuCount = os.cpus().length;
    const hostMemoryMb = Math.floor(os.totalmem() / 1024 / 1024);
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
      recordRejection: (rejection, jobRef) => commands.recordRejection(rejection, jobRef),
      stopGraceMs: config.joblet.stopGracePeriodMs,
      runContext: () => ({
        now: Date.now(),
        cpuCount,
        hostMemoryMb,
        maxUploadBytes: config.joblet.maxUploadBytes,
        defaultTimeoutMs: config.joblet.jobTimeoutMs,
        maxCpuPercent: config.joblet.maxCpuPercent,
        allowHostNetwork: config.isolation.allowHostNetwork,
        parseDuration: (text) => { try { return parseDurationMs(text, 'timeout'); } catch { return undefined; } },
      }),
      facts: () => ({ 'joblet.cgroups': cgroups.describe(), 'joblet.startupMs': String(startupMs), 'joblet.replayedEvents': String(replayed), 'joblet.reattachedJobs': String(resumed.attached), ...state.facts(), 'state.importedJobs': String(imported), ...persist.facts(), ...compactor?.facts() }),
      outputHistory: persist.history,
    });
    undo.push(() => server.close());
    // 5. Client configs carry the address actually bound (port 0 in tests).
    if (server.port !== config.server.port) await certs.writeClientConfigs(`${config.server.address}:${server.port}`);

    const startupMs = Date.now() - started;
    log.info({ address: server.address, nodeId, dataDir, replayed, startupMs, clientConfig: join(dataDir, 'config', 'rnx-config.yml') }, 'serving');
    return { address: server.address, nodeId, dataDir, log, logPosition: () => store.lastPosition, readLog: (from = 1) => [...store.read(from)], state, persist, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** rmdir each dir that is empty (a cgroup dir with no job left in it); others stay. */
function removeEmptyDirs(dirs: string[]): void {
  for (const dir of new Set(dirs)) {
    try { rmdirSync(dir); } catch { /* still holds jobs (they outlive the daemon) or already gone */ }
  }
}
