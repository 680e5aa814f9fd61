// given(events) / when(command) / then(events | error) for the job decider, as emmett's samples
// write them: the state comes only from replaying the given events through `evolve`, so a spec
// cannot pass by building a state that the log could never produce. No mocks: decide and evolve
// are pure, the helper only folds and compares.
import * as assert from 'uvu/assert';
import type { Caller, Job, JobSpec } from '../../src/events/job.js';
import type { JobEvent, JobSubmitted } from '../../src/events/jobEvents.js';
import { evolve } from '../../src/events/jobEvents.js';
import type { JobCommand } from '../../src/events/jobCommands.js';
import { decide } from '../../src/events/jobCommands.js';
import type { DomainErrorCode } from '../../src/events/errors.js';
import { DomainError } from '../../src/events/errors.js';

export const ALICE: Caller = { cn: 'alice', role: 'developer' };
export const JOB_ID = '0f8fad5b-d9cb-469f-a165-70867728950e';
export const NODE_ID = 'node-1';

/** A spec as validation would produce it for `echo hi`; override what a test is about. */
export function aSpec(overrides: Partial<JobSpec> = {}): JobSpec {
  return {
    command: 'echo', args: ['hi'], maxCpu: 0, cpuCores: '', maxMemory: 0, maxIoBps: 0,
    environment: {}, secretKeys: [], uploads: [], workDir: '/work', network: 'none', volumes: [],
    runtime: '', gpuCount: 0, gpuMemoryMb: 0, timeoutMs: 0,
    ...overrides,
  };
}

export function submitted(at: number, opts: { jobId?: string; scheduledAt?: number; spec?: JobSpec } = {}): JobSubmitted {
  return {
    type: 'JobSubmitted', jobId: opts.jobId ?? JOB_ID, at, by: ALICE, nodeId: NODE_ID, spec: opts.spec ?? aSpec(),
    ...(opts.scheduledAt !== undefined ? { scheduledAt: opts.scheduledAt } : {}),
  };
}

/** The events of a job submitted at 1000 (runs now) and started as pid 42 at 1002. */
export function running(jobId = JOB_ID): JobEvent[] {
  return [submitted(1000, { jobId }), { type: 'JobStarted', jobId, at: 1002, pid: 42 }];
}

/** Replays the events of one job, as the store would hand them to a command handler. */
export function replay(events: JobEvent[], jobId = JOB_ID): Job | undefined {
  return events.filter((e) => e.jobId === jobId).reduce<Job | undefined>(evolve, undefined);
}

export function given(history: JobEvent[]) {
  return {
    when(cmd: JobCommand) {
      const state = replay(history, cmd.jobId);
      return {
        /** Asserts the exact events decided, and returns them for further checks. */
        then(expected: JobEvent[]): JobEvent[] {
          const actual = decide(state, cmd);
          assert.equal(actual, expected);
          return actual;
        },
        /** Asserts a DomainError with this code whose message contains every fragment. */
        thenFails(code: DomainErrorCode, ...fragments: string[]): DomainError {
          let caught: unknown;
          try {
            const events = decide(state, cmd);
            assert.unreachable(`expected ${code}, but decide answered ${JSON.stringify(events.map((e) => e.type))}`);
          } catch (err) {
            caught = err;
          }
          if (!(caught instanceof DomainError)) throw caught;
          assert.is(caught.code, code, `code of "${caught.message}"`);
          for (const f of fragments) assert.ok(caught.message.includes(f), `"${caught.message}" should contain "${f}"`);
          return caught;
        },
      };
    },
  };
}
