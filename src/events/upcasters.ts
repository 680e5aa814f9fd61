// Schema evolution: events are stored with the version they were written under and upgraded when
// read, one version step at a time; the log itself is never rewritten. Pure functions, so the
// replay tool and the daemon upgrade the same bytes the same way.
//
// Version history
//   0  (joblet < 0.1, before the job spec existed) JobSubmitted carried the command line, the
//      environment and the limits at the top level (`command`, `args`, `env`, `secretNames`,
//      `limits: { cpu, cores, memory, io }`); uploads, volumes, network, runtime, GPUs, timeouts
//      and work dirs did not exist. A job's end was `JobEnded { status, code, reason? }`.
//   1  the current shapes in jobEvents.ts.
import type { JobSpec } from './job.js';
import type { JobEvent } from './jobEvents.js';
import { EVENT_SCHEMA_VERSION } from './jobEvents.js';
import { DEFAULT_WORK_DIR } from './validateRun.js';

type Loose = Record<string, unknown>;
/** Turns an event of version v into version v + 1. */
export type UpcastStep = (event: Loose) => Loose;

/** UPCASTERS[v] upgrades version v to v + 1; every version below the current one needs a step. */
export const UPCASTERS: Readonly<Record<number, UpcastStep>> = {
  0: v0ToV1,
};

/** The event in the current shape; throws (naming both versions) when no path of steps exists. */
export function upcastJobEvent(version: number, event: unknown): JobEvent {
  if (!Number.isInteger(version) || version > EVENT_SCHEMA_VERSION) {
    throw new Error(`event has schema version ${version}, this build reads up to ${EVENT_SCHEMA_VERSION} (upgrade joblet)`);
  }
  if (event === null || typeof event !== 'object') throw new Error(`event of schema version ${version} is not an object`);
  let e = event as Loose;
  for (let v = version; v < EVENT_SCHEMA_VERSION; v++) {
    const step = UPCASTERS[v];
    if (!step) throw new Error(`no upcaster from event schema version ${v} to ${v + 1} (this build cannot read that log)`);
    e = step(e);
  }
  return e as unknown as JobEvent;
}

function v0ToV1(e: Loose): Loose {
  if (e.type === 'JobEnded') {
    const { code, ...rest } = e;
    return { ...rest, type: 'JobFinished', exitCode: code };
  }
  if (e.type !== 'JobSubmitted') return e;
  const { command, args, env, secretNames, limits, ...rest } = e as Loose & { limits?: Loose };
  const spec: JobSpec = {
    command: String(command),
    args: Array.isArray(args) ? args.map(String) : [],
    maxCpu: num(limits?.cpu),
    cpuCores: typeof limits?.cores === 'string' ? limits.cores : '',
    maxMemory: num(limits?.memory),
    maxIoBps: num(limits?.io),
    environment: env !== null && typeof env === 'object' ? (env as Record<string, string>) : {},
    secretKeys: Array.isArray(secretNames) ? secretNames.map(String) : [],
    uploads: [],
    workDir: DEFAULT_WORK_DIR,
    network: 'none',
    volumes: [],
    runtime: '',
    gpuCount: 0,
    gpuMemoryMb: 0,
    timeoutMs: 0,
  };
  return { ...rest, spec };
}

const num = (x: unknown): number => (typeof x === 'number' && Number.isFinite(x) ? x : 0);
