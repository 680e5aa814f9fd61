// The daemon's config file: one table with every key, its default and its rule. Key names follow
// Joblet's joblet-config.yml where Joblet has the same setting (server.address/port/nodeId,
// joblet.maxConcurrentJobs, joblet.jobTimeout, logging.level), so an existing Joblet file keeps
// working; keys only we have use the same camelCase style.
import * as r from './rules.js';
import * as sr from './stateRules.js';

export type { StateBackendName, RedisSettings, DynamoSettings } from './stateRules.js';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const DEFAULT_DATA_DIR = '/opt/joblet';
export const DEFAULT_CONFIG_PATH = '/opt/joblet/config/joblet-config.yml';

/** The typed, frozen result of loadConfig. Durations are milliseconds (the `Ms` suffix). */
export interface Config {
  readonly version: string;
  readonly server: {
    readonly address: string;
    readonly port: number;
    /** "" = none configured: use ensureNodeId(storage.dataDir). */
    readonly nodeId: string;
  };
  readonly joblet: {
    /** Jobs running at once; more wait as QUEUED. 0 = unlimited. */
    readonly maxConcurrentJobs: number;
    /** Applied when RunJobRequest.timeout is empty; 0 = no timeout. YAML key `jobTimeout`. */
    readonly jobTimeoutMs: number;
    /** SIGTERM → SIGKILL wait of StopJob. YAML key `stopGracePeriod`. */
    readonly stopGracePeriodMs: number;
    /** Total bytes of RunJobRequest.uploads per job; above it RESOURCE_EXHAUSTED. */
    readonly maxUploadBytes: number;
    /** Highest max_cpu a job may ask for (percent of one core). */
    readonly maxCpuPercent: number;
    /** Output bytes kept per job; past them output is dropped and one marker line says how much. */
    readonly maxOutputBytes: number;
    /** After a small read of a job's output, the supervisor waits this long before the next (0 = never). YAML key `outputBatch`. */
    readonly outputBatchMs: number;
    /** Time between resource samples of each running job; 0 = only the sample at exit. YAML key `metricsInterval`. */
    readonly metricsIntervalMs: number;
  };
  readonly security: {
    /** Always absolute after loading ("" in the file = DATA_DIR/certs). */
    readonly certsDir: string;
    /** Extra DNS names / IPs for the server certificate's SANs. */
    readonly serverNames: readonly string[];
  };
  readonly logging: { readonly level: LogLevel };
  readonly storage: {
    readonly dataDir: string;
    /** Jobs projection snapshot every N events (bounds replay time at start). */
    readonly snapshotEvery: number;
    /** Compact stored output out of the event log every this many ms; 0 = never. YAML key `compactInterval`. */
    readonly compactIntervalMs: number;
    /** Also compact after this many bytes of new output; 0 = only on the interval. */
    readonly compactEveryBytes: number;
  };
  /** What every job runs under (spec/isolation.md). */
  readonly isolation: {
    /** uid/gid the job runs as; supplementary groups are always cleared. */
    readonly uid: number;
    readonly gid: number;
    /** Host paths bound read-only into every job; empty = the built-in list (DEFAULT_SYSTEM_DIRS). */
    readonly systemDirs: readonly string[];
    /** tmpfs size caps of the job's work dir and /tmp, bytes. */
    readonly workSizeBytes: number;
    readonly tmpSizeBytes: number;
    readonly seccomp: 'default' | 'strict' | 'off';
    /** Whether `network: host` may be requested (off: only `none`). */
    readonly allowHostNetwork: boolean;
    /** pids.max of every job: a fork bomb stops here even when the user sets no limit. */
    readonly pidsMax: number;
  };
  readonly state: {
    /** Where job records are replicated (Joblet's key): memory, local (DATA_DIR/state), redis, dynamodb. */
    readonly backend: sr.StateBackendName;
    /** Most job records in one backend write. */
    readonly batchSize: number;
    /** How long the replicator gathers changes before a write. YAML key `batchDelay`. */
    readonly batchDelayMs: number;
    /** Cap of the exponential backoff between retries while the backend is down. YAML key `retryMax`. */
    readonly retryMaxMs: number;
    /** On start, import this node's jobs that the backend has and the log does not. */
    readonly syncOnStart: boolean;
    /** How long start-up waits for that sync before serving without it. YAML key `syncTimeout`. */
    readonly syncTimeoutMs: number;
    readonly redis: sr.RedisSettings;
    readonly dynamodb: sr.DynamoSettings;
  };
  /** The persist service's files under DATA_DIR/logs (docs/operations.md): retention of finished jobs' files. */
  readonly persist: {
    /** Finished jobs' log and metric files older than this are removed; 0 = no age limit. YAML key `retention`. */
    readonly retentionMs: number;
    /** All persist files together stay under this; the oldest finished jobs' files go first. 0 = no limit. */
    readonly maxTotalBytes: number;
  };
  /** Keys Joblet has that we read but do not implement (e.g. `cgroup`, `grpc.maxRecvMsgSize`); the daemon warns. */
  readonly ignoredKeys: readonly string[];
}

type Field = { key: string; as?: string; default: unknown; rule: r.Rule<unknown> };
type Section = { fields: Field[]; jobletOnly?: string[] };

const MiB = 1024 * 1024;

export const SECTIONS: Record<'server' | 'joblet' | 'security' | 'logging' | 'storage' | 'isolation' | 'state' | 'persist', Section> = {
  server: {
    fields: [
      { key: 'address', default: '0.0.0.0', rule: r.host() },
      // 0 asks the kernel for a free port (tests); the daemon must then write client configs with the bound port.
      { key: 'port', default: 50051, rule: r.int(0, 65535) },
      { key: 'nodeId', default: '', rule: r.nodeId() },
    ],
    jobletOnly: ['mode', 'timeout', 'minTlsVersion'],
  },
  joblet: {
    fields: [
      // Joblet's built-in default is 100 (its install template ships 5); Joblet only logs the value,
      // we enforce it by queueing. 100 keeps a runaway client from forking thousands of jobs.
      { key: 'maxConcurrentJobs', default: 100, rule: r.int(0) },
      // Joblet's built-in default is 1h; we default to none so a job is never killed by surprise.
      { key: 'jobTimeout', as: 'jobTimeoutMs', default: '0', rule: r.duration() },
      { key: 'stopGracePeriod', as: 'stopGracePeriodMs', default: '100ms', rule: r.duration() },
      { key: 'maxUploadBytes', default: 64 * MiB, rule: r.int(1) },
      { key: 'maxCpuPercent', default: 10000, rule: r.int(1, 10000) },
      // The job is slowed, never stopped, while its supervisor writes; this only bounds the disk.
      { key: 'maxOutputBytes', default: 1024 * MiB, rule: r.int(1) },
      // After a small read a job's supervisor lets its output pipes fill this long before the
      // next: one wake-up (and one spool record, one event) per batch of lines instead of per
      // line; a fast writer's full reads never wait. Bounds what it adds to a line's live delay.
      { key: 'outputBatch', as: 'outputBatchMs', default: '20ms', rule: r.durationAtMost(1000) },
      // Each sample is one small event per job; below 100 ms they would crowd the log.
      { key: 'metricsInterval', as: 'metricsIntervalMs', default: '5s', rule: r.durationOrOff(100) },
    ],
    jobletOnly: ['defaultCpuLimit', 'defaultMemoryLimit', 'defaultIoLimit', 'cleanupTimeout', 'validateCommands'],
  },
  security: {
    fields: [
      { key: 'certsDir', default: '', rule: r.optionalAbsolutePath() },
      { key: 'serverNames', default: [], rule: r.hostList() },
    ],
    // Joblet embeds PEMs here; we keep certificates as files in certsDir.
    jobletOnly: ['serverCert', 'serverKey', 'caCert'],
  },
  logging: {
    fields: [{ key: 'level', default: 'info', rule: r.oneOf(LOG_LEVELS) }],
    jobletOnly: ['format', 'output'],
  },
  storage: {
    fields: [
      { key: 'dataDir', default: DEFAULT_DATA_DIR, rule: r.absolutePath() },
      { key: 'snapshotEvery', default: 10000, rule: r.int(1) },
      // Output the persist service has stored leaves the log (docs/decisions/0013); 0 turns it off.
      { key: 'compactInterval', as: 'compactIntervalMs', default: '30s', rule: r.durationOrOff(1000) },
      // 8 MiB: during a flood the log's resident pages are about the uncompacted output (the
      // persist window plus this), ~40 MiB instead of ~110 MiB at 64 MiB (bench/logs, decision 0025).
      { key: 'compactEveryBytes', default: 8 * MiB, rule: r.int(0) },
    ],
  },
  isolation: {
    fields: [
      { key: 'uid', default: 65534, rule: r.int(0, 2 ** 32 - 2) },
      { key: 'gid', default: 65534, rule: r.int(0, 2 ** 32 - 2) },
      { key: 'systemDirs', default: [], rule: r.absolutePathList() },
      { key: 'workSizeBytes', default: 1024 * MiB, rule: r.int(MiB) },
      { key: 'tmpSizeBytes', default: 256 * MiB, rule: r.int(MiB) },
      { key: 'seccomp', default: 'default', rule: r.oneOf(['default', 'strict', 'off'] as const) },
      { key: 'allowHostNetwork', default: false, rule: sr.bool() },
      { key: 'pidsMax', default: 1024, rule: r.int(8, 4_194_304) },
    ],
  },
  state: {
    fields: [
      // Joblet's default is memory: nothing survives the State service, which is what the name says.
      { key: 'backend', default: 'memory', rule: r.oneOf(sr.STATE_BACKENDS) },
      { key: 'batchSize', default: 500, rule: r.int(1, 10000) },
      { key: 'batchDelay', as: 'batchDelayMs', default: '20ms', rule: r.duration() },
      { key: 'retryMax', as: 'retryMaxMs', default: '10s', rule: r.duration() },
      { key: 'syncOnStart', default: true, rule: sr.bool() },
      { key: 'syncTimeout', as: 'syncTimeoutMs', default: '10s', rule: r.duration() },
      { key: 'redis', default: {}, rule: sr.redisSettings() },
      { key: 'dynamodb', default: {}, rule: sr.dynamoSettings() },
    ],
    // Joblet's IPC socket and buffer (our State service talks over the fork IPC channel) and its
    // `storage.dynamodb` block (ours is `state.dynamodb`, see docs/operations.md).
    jobletOnly: ['socket', 'buffer_size', 'reconnect_delay', 'storage'],
  },
  persist: {
    fields: [
      // Docker keeps a container's logs until the container is removed and Nomad until its
      // allocation is garbage-collected; neither forgets a finished task's logs within days. A week
      // covers a post-mortem after a weekend; 10 GiB holds ten jobs at the default 1 GiB output cap.
      { key: 'retention', as: 'retentionMs', default: '7d', rule: r.duration() },
      { key: 'maxTotalBytes', default: 10 * 1024 * MiB, rule: r.int(0) },
    ],
  },
};

/** Whole Joblet sections we accept and ignore (reported in Config.ignoredKeys). */
export const JOBLET_ONLY_SECTIONS = [
  'cgroup', 'filesystem', 'grpc', 'network', 'monitoring', 'buffers', 'volumes', 'runtime', 'gpu', 'ipc', 'telemetry',
];
