// The `memory` backend (Joblet's default): records live in the State child's heap and are gone
// when it stops. Useful for `listAllNodes` on one node and as the reference the other backends
// are tested against; the service replays the whole log into it after every (re)start.
import { visible, type StateBackend } from './backend.js';
import { isNewer, type JobRecord } from './record.js';

export class MemoryBackend implements StateBackend {
  readonly name: string = 'memory';
  protected readonly records = new Map<string, JobRecord>();

  async write(records: JobRecord[]): Promise<void> {
    this.apply(records);
  }

  /** Applies the newer records; true when anything changed. */
  protected apply(records: JobRecord[]): boolean {
    let changed = false;
    for (const r of records) {
      if (!isNewer(r, this.records.get(r.uuid))) continue;
      this.records.set(r.uuid, r);
      changed = true;
    }
    return changed;
  }

  async list(nodeId?: string): Promise<JobRecord[]> {
    return visible(this.records.values(), nodeId);
  }

  async close(): Promise<void> {}
}
